using FastEndpoints;
using Kodosumi.Api.Auth;
using Kodosumi.Api.Features.Dashboard.Stalls;
using Kodosumi.Indexer;
using Kodosumi.Indexer.Users;
using Kodosumi.Shared.Model;

namespace Kodosumi.Api.Features.Dashboard.Timeline;

/// <summary>Executions in the window oldest first, and their counts per hour (or day, in a time zone) and status.</summary>
public sealed class TimelineEndpoint(IIndexReader index, UserDirectory users, TimeProvider time, StallClock stalls)
    : Endpoint<TimelineRequest, TimelineResponse>
{
    public override void Configure()
    {
        Get("timeline");
        Group<DashboardGroup>();
    }

    public override async Task HandleAsync(TimelineRequest req, CancellationToken ct)
    {
        var range = req.ToRange(time);
        var tags = ExecutionFilter.ParseList(req.Tags);
        var zone = TimeBuckets.FindZone(req.Tz)!;
        var days = req.Bucket == TimeBuckets.Day;
        var visible = VisibleIndex.Of(index.Snapshot(), Viewer.Of(User));
        var inWindow = visible.Window(range);
        // Without tags the window's buckets come from those kept per chunk of the viewer's rows.
        var stall = stalls.Now();
        var unfiltered = tags.Count == 0 && req.Stalled is null;
        IReadOnlyList<ExecutionSummary> newestFirst = unfiltered
            ? inWindow
            : inWindow.Where(s => ExecutionFilter.HasTags(s, tags) && (req.Stalled is not { } stalled || stall.IsStalled(s) == stalled)).ToArray();
        var buckets = unfiltered
            ? TimelineCounts.InWindow(inWindow, zone, days)
            : TimelineCounts.Count((ExecutionSummary[])newestFirst, new TimeBuckets(zone, days));
        // Oldest first: the newest `limit` rows (or all of them), read backwards from the end of the listed ones.
        var listed = Math.Min(req.Limit ?? int.MaxValue, newestFirst.Count);
        var rows = Enumerable.Range(0, listed).Select(i => ExecutionRow.From(newestFirst[listed - 1 - i], users, stall));
        await Send.OkAsync(new TimelineResponse { Total = newestFirst.Count, Executions = rows, Buckets = buckets }, ct);
    }
}
