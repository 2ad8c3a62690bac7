namespace Kodosumi.Api.Features.Dashboard.Files;

public sealed class FilesRequest
{
    /// <summary>The execution's id: 24 hex digits.</summary>
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
    /// <summary>The execution's id: 24 hex digits.</summary>
    public string Fid { get; init; } = "";
    /// <summary><c>in</c> (uploads) or <c>out</c> (downloads).</summary>
    public string Folder { get; init; } = "";
    /// <summary>The file's path below the folder, as the file list gives it; may contain slashes.</summary>
    public string Path { get; init; } = "";
}
