using System.Collections.Concurrent;
using Kodosumi.Indexer.Store;
using Kodosumi.Shared.Model;
using NodaTime;

namespace Kodosumi.Api.Features.Dashboard.Timeline;

/// <summary>
/// Executions counted per bucket (hour or day in a time zone) and status, oldest first. A whole chunk of the
/// viewer's rows is counted once per bucketing and kept on the chunk; a window is its chunks, oldest first, plus at
/// most two partial ones counted anew, and a bucket cut by a chunk's edge is joined with its other part.
/// </summary>
public static class TimelineCounts
{
    /// <summary>Bucketings kept per chunk: each time zone asked for costs one.</summary>
    const int MaxKept = 4;
    /// <summary>Rows spread over many years make many hour buckets: such a chunk is counted per request instead.</summary>
    const int MaxBucketsKept = 128;

    /// <summary>The buckets of the window's rows.</summary>
    public static List<TimelineBucket> InWindow(OrderRange<ExecutionSummary> window, DateTimeZone zone, bool days)
    {
        var bucketing = new TimeBuckets(zone, days);
        var buckets = new List<TimelineBucket>();
        foreach (var piece in window.Pieces().Reverse())
        {
            var counted = piece.IsWhole ? Kept(piece.Chunk, (zone.Id, days), bucketing) : Count(piece.Span, bucketing);
            foreach (var bucket in counted)
            {
                if (buckets.Count > 0 && buckets[^1].Start == bucket.Start) buckets[^1] = Joined(buckets[^1], bucket);
                else buckets.Add(bucket);
            }
        }
        return buckets;
    }

    static List<TimelineBucket> Kept(OrderChunk<ExecutionSummary> chunk, (string, bool) key, TimeBuckets bucketing)
    {
        var kept = chunk.Derived(typeof(TimelineCounts), _ => new ConcurrentDictionary<(string, bool), List<TimelineBucket>?>());
        if (kept.TryGetValue(key, out var buckets) || kept.Count >= MaxKept) return buckets ?? Count(chunk.Span, bucketing);
        return kept.GetOrAdd(key, _ => Count(chunk.Span, bucketing) is var counted && counted.Count <= MaxBucketsKept ? counted : null)
               ?? Count(chunk.Span, bucketing);
    }

    /// <summary>The same bucket counted in two stretches: an older one, then a newer one.</summary>
    static TimelineBucket Joined(TimelineBucket older, TimelineBucket newer)
    {
        var counts = new Dictionary<string, int>(older.Counts, StringComparer.Ordinal);
        foreach (var (status, n) in newer.Counts) counts[status] = counts.GetValueOrDefault(status) + n;
        return new TimelineBucket { Start = older.Start, End = older.End, Total = older.Total + newer.Total, Counts = counts };
    }

    /// <summary>
    /// One pass over <paramref name="newestFirst"/>, oldest first: the rows are ordered, so a bucket is looked up
    /// in the time zone only when a row falls past the current one's end.
    /// </summary>
    public static List<TimelineBucket> Count(ReadOnlySpan<ExecutionSummary> newestFirst, TimeBuckets bucketing)
    {
        var buckets = new List<TimelineBucket>();
        var (start, end) = (double.NaN, double.NegativeInfinity);
        Dictionary<string, int>? counts = null;
        var total = 0;
        for (var i = newestFirst.Length - 1; i >= 0; i--)
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
