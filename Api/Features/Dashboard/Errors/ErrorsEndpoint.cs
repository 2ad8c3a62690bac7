using FastEndpoints;
using Kodosumi.Api.Auth;
using Kodosumi.Indexer;
using Kodosumi.Indexer.Users;

namespace Kodosumi.Api.Features.Dashboard.Errors;

/// <summary>Error events newest first; the messages of the page shown come from the index.</summary>
public sealed class ErrorsEndpoint(IIndexReader index, UserDirectory users, TimeProvider time)
    : Endpoint<ErrorsRequest, ErrorsResponse>
{
    public override void Configure()
    {
        Get("errors");
        Group<DashboardGroup>();
    }

    public override async Task HandleAsync(ErrorsRequest req, CancellationToken ct)
    {
        var range = req.ToRange(time);
        var viewer = Viewer.Of(User);
        var page = new List<ErrorItem>(Math.Min(req.Limit, 1000));
        var total = 0;
        // Newest first: the window is a prefix. Counted in one pass; only the page's items are built.
        foreach (var e in index.Snapshot().ErrorsNewestFirst)
        {
            if (e.Timestamp >= range.Until) continue;
            if (e.Timestamp < range.Since) break;
            if (!viewer.CanSee(e.UserId) || total++ >= req.Limit) continue;
            page.Add(new ErrorItem
            {
                Fid = e.Fid,
                UserId = e.UserId,
                Timestamp = e.Timestamp,
                EventId = e.EventId,
                Error = new ErrorMessage(index.ErrorMessage(e)),
                UserName = users.NameOf(e.UserId),
                AgentName = index.Find(e.Fid)?.AgentName,
            });
        }
        await Send.OkAsync(new ErrorsResponse { Total = total, Errors = page }, ct);
    }
}
