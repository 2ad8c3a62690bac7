using Kodosumi.Api.Features.Dashboard;
using Kodosumi.Indexer;
using Kodosumi.Shared;
using Kodosumi.Shared.Model;

namespace Kodosumi.Api.Metrics;

/// <summary>
/// What the index reports about itself, read when asked, for both <c>/metrics</c> (<see cref="IndexMetrics"/>) and
/// OpenTelemetry (<see cref="IndexMeter"/>). Labels never carry a user, an fid or an agent name: the scrape is open.
/// </summary>
public sealed class IndexReadings
{
    /// <summary>Kodosumi's statuses; anything else an execution writes counts as <c>other</c>, so labels stay few.</summary>
    static readonly string[] Statuses = [.. ExecutionStatus.All, ExecutionStatus.Unknown];
    const string Other = "other";

    readonly IIndexReader _index;
    readonly TimeProvider _time;

    public IndexReadings(IIndexReader index, TimeProvider time)
    {
        _index = index;
        _time = time;
        index.Events.Folded += ObserveLag;
    }

    /// <summary>
    /// Seconds from the newest event's own timestamp to the moment the API shows it, per folded execution with
    /// new rows after the first scan. Raised under the catalog's lock: handlers must be cheap.
    /// </summary>
    public event Action<double>? Lag;

    /// <summary>Every status label with its count, zero included, so a series never disappears.</summary>
    public Dictionary<string, int> CountsByStatus()
    {
        var counts = Statuses.Append(Other).ToDictionary(s => s, _ => 0);
        // From the tallies kept per chunk and group: a scrape walks no row.
        foreach (var (status, count) in RowTally.Of(_index.Snapshot().All.NewestFirst).ByStatus) counts[StatusLabel(status)] += count;
        return counts;
    }

    public int Indexed => _index.State().Indexed;
    public int WithProblems => _index.State().WithProblems;
    public int Quarantined => _index.State().Quarantined;
    public long FoldedSinceStart => _index.State().FoldedSinceStart;

    /// <summary>Seconds since the last full scan ended; null before the first.</summary>
    public double? SecondsSinceScan => _index.State().LastScanAt is { } scanned ? (_time.GetUtcNow() - scanned).TotalSeconds : null;

    void ObserveLag(ExecutionSummary? previous, ExecutionSummary current)
    {
        // The first scan folds whatever was written while the service was away: that is history, not lag.
        if (!_index.Ready || current.LastTimestamp is not { } newest || current.LastFoldedId <= (previous?.LastFoldedId ?? 0)) return;
        Lag?.Invoke(Math.Max(0, _time.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0 - newest));
    }

    public static string StatusLabel(string? status) =>
        status is null ? ExecutionRow.UnknownStatus : Array.IndexOf(Statuses, status) >= 0 ? status : Other;
}
