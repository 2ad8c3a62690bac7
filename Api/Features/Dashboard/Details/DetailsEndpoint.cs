using FastEndpoints;
using Kodosumi.Api.Auth;
using Kodosumi.Api.Features.Dashboard.Stalls;
using Kodosumi.Indexer;
using Kodosumi.Indexer.Users;

namespace Kodosumi.Api.Features.Dashboard.Details;

/// <summary>One execution: its summary from the index and a page of its events from its own database.</summary>
public sealed class DetailsEndpoint(IIndexReader index, UserDirectory users, StallClock stalls)
    : Endpoint<DetailsRequest, DetailsResponse>
{
    public override void Configure()
    {
        Get("execution/{fid}/details");
        Group<DashboardGroup>();
    }

    public override async Task HandleAsync(DetailsRequest req, CancellationToken ct)
    {
        // Another user's execution answers exactly like one that does not exist.
        if (index.Find(req.Fid) is not { } summary || !Viewer.Of(User).CanSee(summary))
        {
            await Send.NotFoundAsync(ct);
            return;
        }
        var page = index.ReadEvents(summary, req.Offset, req.Limit);
        await Send.OkAsync(new DetailsResponse
        {
            Metadata = ExecutionRow.From(summary, users, stalls.Now()),
            Events = page.Events,
            TotalEvents = page.Total,
            Offset = req.Offset,
            Limit = req.Limit,
            EventsProblem = page.Problem,
        }, ct);
    }
}
