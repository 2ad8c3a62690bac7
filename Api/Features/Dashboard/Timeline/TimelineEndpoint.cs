using FastEndpoints;
using Kodosumi.Api.Auth;
using Kodosumi.Indexer.Store;
using Kodosumi.Indexer.Users;

namespace Kodosumi.Api.Features.Dashboard.Timeline;

/// <summary>Executions in the window oldest first, and their counts per hour and status.</summary>
public sealed class TimelineEndpoint(ExecutionCatalog catalog, UserDirectory users, TimeProvider time)
    : Endpoint<TimelineRequest, TimelineResponse>
{
    public override void Configure()
    {
        Get("timeline");
        Group<DashboardGroup>();
    }

    public override async Task HandleAsync(TimelineRequest req, CancellationToken ct)
    {
        var since = TimeWindow.Since(req.Hours, time);
        var viewer = Viewer.Of(User);
        var newestFirst = catalog.Snapshot().NewestFirst.TakeWhile(s => s.StartTime >= since).Where(viewer.CanSee).ToList();
        var buckets = newestFirst
            .GroupBy(s => Math.Floor(s.StartTime / 3600) * 3600)
            .OrderBy(g => g.Key)
            .Select(g => new TimelineBucket
            {
                Start = g.Key,
                Total = g.Count(),
                Counts = g.GroupBy(ExecutionRow.StatusOf).ToDictionary(x => x.Key, x => x.Count()),
            })
            .ToList();
        var rows = newestFirst.Take(req.Limit).Reverse().Select(s => ExecutionRow.From(s, users)).ToList();
        await Send.OkAsync(new TimelineResponse { Total = newestFirst.Count, Executions = rows, Buckets = buckets }, ct);
    }
}
