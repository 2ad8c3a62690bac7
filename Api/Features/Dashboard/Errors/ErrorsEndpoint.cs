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
        var errors = VisibleIndex.Of(index.Snapshot(), Viewer.Of(User)).Scope.ErrorsNewestFirst;
        // Newest first, errors without a usable time last: the window is a range found by binary search. As a walk
        // from the newest would, it ends at the first error older than its start, or takes the undated ones too.
        var start = errors.CountWhile(e => e.Timestamp >= range.Until);
        var dated = errors.CountWhile(e => !double.IsNaN(e.Timestamp));
        var newer = errors.CountWhile(e => e.Timestamp >= range.Since);
        var inWindow = errors.Range(start, newer < dated ? newer : errors.Count);
        var total = inWindow.Count;
        var page = inWindow.Take(req.Limit).Select(e => new ErrorItem
        {
            Fid = e.Fid,
            UserId = e.UserId,
            Timestamp = e.Timestamp,
            EventId = e.EventId,
            Error = new ErrorMessage(index.ErrorMessage(e)),
            UserName = users.NameOf(e.UserId),
            AgentName = index.Find(e.Fid)?.AgentName,
        }).ToList();
        await Send.OkAsync(new ErrorsResponse { Total = total, Errors = page }, ct);
    }
}
