using FastEndpoints;
using Kodosumi.Api.Auth;
using Kodosumi.Api.Caching;
using Kodosumi.Api.Hosting;
using Kodosumi.Indexer;
using Kodosumi.Shared;
using Kodosumi.Shared.Model;

namespace Kodosumi.Api.Features.Dashboard.Files;

/// <summary>The files an execution was given (<c>in/</c>) and produced (<c>out/</c>).</summary>
public sealed class FilesEndpoint(IIndexReader index) : Endpoint<FilesRequest, FilesResponse>
{
    public override void Configure()
    {
        Get("execution/{fid}/files");
        Group<DashboardGroup>();
        Options(b => b.WithMetadata(NotFromIndex.Instance));
    }

    public override async Task HandleAsync(FilesRequest req, CancellationToken ct)
    {
        if (index.Find(req.Fid) is not { } summary || !Viewer.Of(User).CanSee(summary))
        {
            await Send.NotFoundAsync(ct);
            return;
        }
        var uploads = List(summary, ExecutionLayout.Inputs);
        var downloads = List(summary, ExecutionLayout.Outputs);
        await Send.OkAsync(new FilesResponse
        {
            Fid = summary.Fid,
            Uploads = uploads,
            Downloads = downloads,
            UploadCount = uploads.Count,
            DownloadCount = downloads.Count,
        }, ct);
    }

    List<FileItem> List(ExecutionSummary execution, string folder) =>
        index.Files(execution, folder)
            .Select(f => new FileItem(f.Name, f.Size, f.RelativePath, DownloadUrl(execution.Fid, folder, f.RelativePath)))
            .ToList();

    public static string DownloadUrl(string fid, string folder, string relativePath) =>
        $"/api/dashboard/execution/{fid}/files/{folder}/{string.Join('/', relativePath.Split('/').Select(Uri.EscapeDataString))}";
}
