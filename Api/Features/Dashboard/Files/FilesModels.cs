namespace Kodosumi.Api.Features.Dashboard.Files;

public sealed class FilesRequest
{
    public string Fid { get; init; } = "";
}

public sealed class FilesResponse
{
    public required string Fid { get; init; }
    public required IReadOnlyList<FileItem> Uploads { get; init; }
    public required IReadOnlyList<FileItem> Downloads { get; init; }
    public int UploadCount { get; init; }
    public int DownloadCount { get; init; }
}

/// <param name="Path">Relative to the execution's <c>in/</c> or <c>out/</c> folder, with forward slashes.</param>
/// <param name="Url">Where this service serves the file.</param>
public sealed record FileItem(string Name, long Size, string Path, string Url);

public sealed class DownloadRequest
{
    public string Fid { get; init; } = "";
    /// <summary><c>in</c> (uploads) or <c>out</c> (downloads).</summary>
    public string Folder { get; init; } = "";
    public string Path { get; init; } = "";
}
