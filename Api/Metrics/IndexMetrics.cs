using System.Diagnostics.Metrics;
using Kodosumi.Api.Features.Dashboard;
using Kodosumi.Api.Hosting;
using Kodosumi.Indexer.Store;
using Kodosumi.Indexer.Worker;
using Kodosumi.Shared.Model;
using Prometheus;

namespace Kodosumi.Api.Metrics;

/// <summary>
/// The index in Prometheus terms for <c>/metrics</c>, and the same readings as a <see cref="Meter"/> named
/// <see cref="MeterName"/> for OpenTelemetry. Gauges are read from the catalog when scraped or collected;
/// the lag is observed as each change is applied. Labels never carry a user, an fid or an agent name: the
/// scrape is open.
/// </summary>
public sealed class IndexMetrics
{
    public const string MeterName = "Kodosumi.Indexer";

    /// <summary>Kodosumi's statuses; anything else an execution writes counts as <c>other</c>, so labels stay few.</summary>
    static readonly string[] Statuses = ["starting", "running", "awaiting", "finished", "error", ExecutionRow.UnknownStatus];
    const string Other = "other";

    readonly ExecutionCatalog _catalog;
    readonly IndexerStatus _status;
    readonly TimeProvider _time;
    readonly Gauge _byStatus;
    readonly Gauge _indexed;
    readonly Gauge _withProblems;
    readonly Gauge _quarantined;
    readonly Counter _folded;
    readonly Gauge _sinceScan;
    readonly Histogram _lag;
    readonly Histogram<double> _lagInstrument;

    public CollectorRegistry Registry { get; } = Prometheus.Metrics.NewCustomRegistry();

    public IndexMetrics(ExecutionCatalog catalog, IndexerStatus status, TimeProvider time, IMeterFactory meters)
    {
        _catalog = catalog;
        _status = status;
        _time = time;
        var factory = Prometheus.Metrics.WithCustomRegistry(Registry);
        _byStatus = factory.CreateGauge("kodosumi_executions", "Executions in the index by status.", "status");
        _indexed = factory.CreateGauge("kodosumi_executions_indexed", "Executions in the index.");
        _withProblems = factory.CreateGauge("kodosumi_executions_with_problems",
            "Executions whose database could not be read the last time it was tried (the problem field).");
        _quarantined = factory.CreateGauge("kodosumi_executions_quarantined",
            "Executions whose database keeps failing: not read until their next probe, last known summary kept.");
        _folded = factory.CreateCounter("kodosumi_folded_executions_total", "Executions folded into the index since the process started.");
        _sinceScan = factory.CreateGauge("kodosumi_index_seconds_since_scan",
            "Seconds since the last full scan ended: nothing the watcher missed is older than this plus a rescan interval.");
        _lag = factory.CreateHistogram("kodosumi_index_lag_seconds",
            "From the newest event's own timestamp to the moment the API shows it, per folded execution with new rows, after the first scan.",
            new HistogramConfiguration { Buckets = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600] });
        factory.CreateGauge("kodosumi_indexer_build_info", "The running build: always 1, its version as a label.", "version")
            .WithLabels(BuildVersion.Value).Set(1);
        DotNetStats.Register(Registry);
        Registry.AddBeforeCollectCallback(Collect);

        var meter = meters.Create(MeterName, BuildVersion.Value);
        meter.CreateObservableGauge("kodosumi.executions", () => CountsByStatus().Select(c => new Measurement<int>(c.Value, new KeyValuePair<string, object?>("status", c.Key))),
            description: "Executions in the index by status.");
        meter.CreateObservableGauge("kodosumi.executions.indexed", () => _catalog.Snapshot().NewestFirst.Count, description: "Executions in the index.");
        meter.CreateObservableGauge("kodosumi.executions.with_problems", () => _catalog.WithProblemsCount,
            description: "Executions whose database could not be read the last time it was tried.");
        meter.CreateObservableGauge("kodosumi.executions.quarantined", () => _catalog.QuarantinedCount,
            description: "Executions whose database keeps failing.");
        meter.CreateObservableCounter("kodosumi.folded_executions", () => _status.FoldedSinceStart,
            description: "Executions folded into the index since the process started.");
        meter.CreateObservableGauge("kodosumi.index.since_scan", () => SecondsSinceScan() is { } seconds ? [new Measurement<double>(seconds)] : Array.Empty<Measurement<double>>(),
            unit: "s", description: "Seconds since the last full scan ended.");
        meter.CreateObservableGauge("kodosumi.indexer.build_info", () => new Measurement<int>(1, new KeyValuePair<string, object?>("version", BuildVersion.Value)),
            description: "The running build: always 1, its version as a tag.");
        _lagInstrument = meter.CreateHistogram<double>("kodosumi.index.lag", unit: "s",
            description: "From the newest event's own timestamp to the moment the API shows it, per folded execution with new rows.");
        catalog.Events.Folded += ObserveLag;
    }

    void Collect()
    {
        var counts = CountsByStatus();
        foreach (var (status, count) in counts) _byStatus.WithLabels(status).Set(count);
        _indexed.Set(counts.Values.Sum());
        _withProblems.Set(_catalog.WithProblemsCount);
        _quarantined.Set(_catalog.QuarantinedCount);
        _folded.IncTo(_status.FoldedSinceStart);
        if (SecondsSinceScan() is { } seconds) _sinceScan.Set(seconds);
    }

    /// <summary>Every status label with its count, zero included, so a series never disappears.</summary>
    Dictionary<string, int> CountsByStatus()
    {
        var counts = _catalog.Snapshot().NewestFirst.CountBy(s => StatusLabel(s.Status)).ToDictionary();
        return Statuses.Append(Other).ToDictionary(s => s, s => counts.GetValueOrDefault(s));
    }

    double? SecondsSinceScan() => _status.LastScanAt is { } scanned ? (_time.GetUtcNow() - scanned).TotalSeconds : null;

    /// <summary>Runs under the catalog's lock: cheap by design.</summary>
    void ObserveLag(ExecutionSummary? previous, ExecutionSummary current)
    {
        // The first scan folds whatever was written while the service was away: that is history, not lag.
        if (!_status.Ready || current.LastTimestamp is not { } newest || current.LastFoldedId <= (previous?.LastFoldedId ?? 0)) return;
        var lag = Math.Max(0, _time.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0 - newest);
        _lag.Observe(lag);
        _lagInstrument.Record(lag);
    }

    public static string StatusLabel(string? status) =>
        status is null ? ExecutionRow.UnknownStatus : Array.IndexOf(Statuses, status) >= 0 ? status : Other;
}
