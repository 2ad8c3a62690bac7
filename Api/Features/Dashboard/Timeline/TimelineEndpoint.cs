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
        var newestFirst = Visible.InWindow(catalog.Snapshot(), since, Viewer.Of(User)).Where(s => ExecutionFilter.HasTags(s, tags)).ToList();
        var buckets = Count(newestFirst, new TimeBuckets(TimeBuckets.FindZone(req.Tz)!, req.Bucket == TimeBuckets.Day));
        var rows = newestFirst.Take(req.Limit).Reverse().Select(s => ExecutionRow.From(s, users)).ToList();
        await Send.OkAsync(new TimelineResponse { Total = newestFirst.Count, Executions = rows, Buckets = buckets }, ct);
    }

    /// <summary>
    /// One pass, oldest first: the executions are ordered, so a bucket is looked up in the time zone only
    /// when an execution falls past the current one's end.
    /// </summary>
    static List<TimelineBucket> Count(List<ExecutionSummary> newestFirst, TimeBuckets bucketing)
    {
        var buckets = new List<TimelineBucket>();
        var (start, end) = (double.NaN, double.NegativeInfinity);
        Dictionary<string, int>? counts = null;
        var total = 0;
        for (var i = newestFirst.Count - 1; i >= 0; i--)
        {
            var s = newestFirst[i];
            if (s.StartTime >= end)
            {
                Flush();
                (start, end) = bucketing.Around(s.StartTime);
                counts = new Dictionary<string, int>(StringComparer.Ordinal);
                total = 0;
            }
            var status = ExecutionRow.StatusOf(s);
            counts![status] = counts.GetValueOrDefault(status) + 1;
            total++;
        }
        Flush();
        return buckets;

        void Flush()
        {
            if (counts is not null) buckets.Add(new TimelineBucket { Start = start, End = end, Total = total, Counts = counts });
        }
    }
}
