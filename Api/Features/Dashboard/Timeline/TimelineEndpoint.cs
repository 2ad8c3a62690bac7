using FastEndpoints;
using Kodosumi.Api.Auth;
using Kodosumi.Indexer.Store;
using Kodosumi.Indexer.Users;
using Kodosumi.Shared.Model;

namespace Kodosumi.Api.Features.Dashboard.Timeline;

/// <summary>Executions in the window oldest first, and their counts per hour (or day, in a time zone) and status.</summary>
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
        var tags = ExecutionFilter.ParseTags(req.Tags);
        var zone = TimeBuckets.FindZone(req.Tz)!;
        var days = req.Bucket == TimeBuckets.Day;
        var visible = VisibleIndex.Of(catalog.Snapshot(), Viewer.Of(User));
        var inWindow = visible.CountSince(since);
        // Without tags the window is a prefix of the viewer's rows, whose buckets are counted once per version.
        IReadOnlyList<ExecutionSummary> newestFirst = tags.Count == 0
            ? new ArraySegment<ExecutionSummary>(visible.Rows, 0, inWindow)
            : visible.Rows.Take(inWindow).Where(s => ExecutionFilter.HasTags(s, tags)).ToList();
        var buckets = tags.Count == 0
            ? TimelineCounts.InWindow(visible, inWindow, zone, days)
            : TimelineCounts.Count(newestFirst, newestFirst.Count, new TimeBuckets(zone, days));
        // Oldest first: the newest `limit` rows (or all of them), read backwards from the end of the listed ones.
        var listed = Math.Min(req.Limit ?? int.MaxValue, newestFirst.Count);
        var rows = Enumerable.Range(0, listed).Select(i => ExecutionRow.From(newestFirst[listed - 1 - i], users));
        await Send.OkAsync(new TimelineResponse { Total = newestFirst.Count, Executions = rows, Buckets = buckets }, ct);
    }
}
