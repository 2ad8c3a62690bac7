using System.Collections.Concurrent;
using Kodosumi.Shared.Model;
using NodaTime;

namespace Kodosumi.Api.Features.Dashboard.Timeline;

/// <summary>
/// Executions counted per bucket (hour or day in a time zone) and status, oldest first. A viewer's
/// executions of one catalog version are counted once per bucketing and kept: a time window is a prefix
/// of them (newest first), so its buckets are the kept ones from the first row where a kept bucket starts,
/// after the few rows before it (the window's oldest bucket, cut by the window's start), counted anew.
/// </summary>
public sealed class TimelineCounts
{
    /// <summary>Bucketings kept per viewer and version: each time zone asked for costs one.</summary>
    const int MaxKept = 4;
    /// <summary>Rows spread over many years make many hour buckets: such a set is counted per request instead.</summary>
    const int MaxBuckets = 20_000;

    readonly List<TimelineBucket> _buckets;
    /// <summary>The row (newest-first index) where each kept bucket starts, to its place in <see cref="_buckets"/>.</summary>
    readonly Dictionary<int, int> _startingAt;

    TimelineCounts(List<TimelineBucket> buckets, List<int> starts)
    {
        _buckets = buckets;
        _startingAt = new Dictionary<int, int>(starts.Count);
        for (var i = 0; i < starts.Count; i++) _startingAt[starts[i]] = i;
    }

    /// <summary>The buckets of the viewer's first <paramref name="count"/> rows (the window).</summary>
    public static List<TimelineBucket> InWindow(VisibleIndex visible, int count, DateTimeZone zone, bool days)
    {
        var bucketing = new TimeBuckets(zone, days);
        return Count(visible.Rows, count, bucketing, Kept(visible, zone, days, bucketing));
    }

    static TimelineCounts? Kept(VisibleIndex visible, DateTimeZone zone, bool days, TimeBuckets bucketing)
    {
        var kept = visible.Derived(typeof(TimelineCounts), () => new ConcurrentDictionary<(string, bool), TimelineCounts?>());
        var key = (zone.Id, days);
        if (kept.TryGetValue(key, out var counts)) return counts;
        if (kept.Count >= MaxKept) return null;
        return kept.GetOrAdd(key, _ =>
        {
            // Rows without a usable start time (NaN) sort last and are in no window.
            var starts = new List<int>();
            var buckets = Count(visible.Rows, visible.CountSince(double.NegativeInfinity), bucketing, null, starts);
            return buckets.Count <= MaxBuckets ? new TimelineCounts(buckets, starts) : null;
        });
    }

    /// <summary>
    /// One pass over <c>newestFirst[..count]</c>, oldest first: the rows are ordered, so a bucket is looked up
    /// in the time zone only when a row falls past the current one's end. Once a bucket starts at a row where
    /// one of <paramref name="kept"/> starts, the rest of the pass would repeat the kept pass: its buckets are
    /// taken from there. <paramref name="starts"/> collects the row where each bucket starts.
    /// </summary>
    public static List<TimelineBucket> Count(IReadOnlyList<ExecutionSummary> newestFirst, int count, TimeBuckets bucketing,
        TimelineCounts? kept = null, List<int>? starts = null)
    {
        var buckets = new List<TimelineBucket>();
        var (start, end) = (double.NaN, double.NegativeInfinity);
        Dictionary<string, int>? counts = null;
        var total = 0;
        for (var i = count - 1; i >= 0; i--)
        {
            var s = newestFirst[i];
            if (s.StartTime >= end)
            {
                Flush();
                if (kept is not null && kept._startingAt.TryGetValue(i, out var first))
                {
                    buckets.AddRange(kept._buckets.GetRange(first, kept._buckets.Count - first));
                    return buckets;
                }
                (start, end) = bucketing.Around(s.StartTime);
                counts = new Dictionary<string, int>(StringComparer.Ordinal);
                total = 0;
                starts?.Add(i);
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
