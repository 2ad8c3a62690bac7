using FastEndpoints;
using Kodosumi.Api.Auth;
using Kodosumi.Api.Caching;
using Kodosumi.Api.Hosting;
using Kodosumi.Indexer;
using Kodosumi.Shared;
using Microsoft.AspNetCore.StaticFiles;

namespace Kodosumi.Api.Features.Dashboard.Files;

/// <summary>Serves one file from an execution's <c>in/</c> or <c>out/</c>, and nothing outside them.</summary>
public sealed class DownloadEndpoint(IIndexReader index) : Endpoint<DownloadRequest>
{
    static readonly FileExtensionContentTypeProvider ContentTypes = new();

    public override void Configure()
    {
        Get("execution/{fid}/files/{folder}/{**path}");
        Group<DashboardGroup>();
        Options(b => b.WithMetadata(NotFromIndex.Instance));
        Description(d => d.Produces(StatusCodes.Status200OK, typeof(Stream), "application/octet-stream"));
    }

    public override async Task HandleAsync(DownloadRequest req, CancellationToken ct)
    {
        if (req.Folder is not (ExecutionLayout.Inputs or ExecutionLayout.Outputs))
        {
            AddError(r => r.Folder, "must be 'in' or 'out'");
            await Send.ErrorsAsync(cancellation: ct);
            return;
        }
        if (index.Find(req.Fid) is not { } summary
            || !Viewer.Of(User).CanSee(summary)
            || index.OpenFile(summary, req.Folder, req.Path) is not { } file)
        {
            await Send.NotFoundAsync(ct);
            return;
        }
        if (!ContentTypes.TryGetContentType(file.Name, out var contentType)) contentType = "application/octet-stream";
        await Send.StreamAsync(file.Stream, file.Name, file.Length, contentType, cancellation: ct);
    }
}
