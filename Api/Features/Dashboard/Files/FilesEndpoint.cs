using FastEndpoints;
using Kodosumi.Api.Auth;
using Kodosumi.Indexer;
using Kodosumi.Indexer.Sources;
using Kodosumi.Indexer.Store;
using Kodosumi.Shared;
using Microsoft.Extensions.Options;

namespace Kodosumi.Api.Features.Dashboard.Files;

/// <summary>The files an execution was given (<c>in/</c>) and produced (<c>out/</c>).</summary>
public sealed class FilesEndpoint(ExecutionCatalog catalog, IOptions<IndexerOptions> options) : Endpoint<FilesRequest, FilesResponse>
{
    public override void Configure()
    {
        Get("execution/{fid}/files");
        Group<DashboardGroup>();
    }

    public override async Task HandleAsync(FilesRequest req, CancellationToken ct)
    {
        if (catalog.Find(req.Fid) is not { } summary || !Viewer.Of(User).CanSee(summary))
        {
            await Send.NotFoundAsync(ct);
            return;
        }
        var dir = Path.Combine(options.Value.ExecutionRoot, summary.UserId, summary.Fid);
        var uploads = List(dir, summary.Fid, ExecutionLayout.Inputs);
        var downloads = List(dir, summary.Fid, ExecutionLayout.Outputs);
        await Send.OkAsync(new FilesResponse
        {
            Fid = summary.Fid,
            Uploads = uploads,
            Downloads = downloads,
            UploadCount = uploads.Count,
            DownloadCount = downloads.Count,
        }, ct);
    }

    static List<FileItem> List(string executionDir, string fid, string folder) =>
        ExecutionFolders.ListFiles(Path.Combine(executionDir, folder))
            .Select(f => new FileItem(f.Name, f.Size, f.RelativePath, DownloadUrl(fid, folder, f.RelativePath)))
            .ToList();

    public static string DownloadUrl(string fid, string folder, string relativePath) =>
        $"/api/dashboard/execution/{fid}/files/{folder}/{string.Join('/', relativePath.Split('/').Select(Uri.EscapeDataString))}";
}
