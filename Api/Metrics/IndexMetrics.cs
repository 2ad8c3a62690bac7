using Kodosumi.Api.Features.Dashboard;
using Kodosumi.Api.Features.Dashboard.Stalls;
using Kodosumi.Indexer.Alerts;
using Kodosumi.Indexer.Store;
using Kodosumi.Indexer.Worker;
using Kodosumi.Shared.Model;
using Prometheus;

namespace Kodosumi.Api.Metrics;

/// <summary>
/// The index in Prometheus terms. Gauges are read from the catalog when scraped; the lag is observed as
/// each change is applied. Labels never carry a user, an fid or an agent name: the scrape is open.
/// </summary>
public sealed class IndexMetrics
{
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
    readonly Gauge _stalled;
    readonly Gauge _alertsPending;
    readonly Counter _alertsSent, _alertsRetried, _alertsDropped;
    readonly AlertCounters _alerts;
    readonly IndexStore _store;
    readonly StallClock _stalls;
    readonly Counter _folded;
    readonly Gauge _sinceScan;
    readonly Histogram _lag;

    public CollectorRegistry Registry { get; } = Prometheus.Metrics.NewCustomRegistry();

    public IndexMetrics(ExecutionCatalog catalog, IndexerStatus status, TimeProvider time, StallClock stalls, AlertCounters alerts, IndexStore store)
    {
        _alerts = alerts;
        _store = store;
        _stalls = stalls;
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
        _stalled = factory.CreateGauge("kodosumi_executions_stalled",
            "Running or starting executions whose latest event is older than Dashboard:StalledAfter: their process may have died.");
        _alertsPending = factory.CreateGauge("kodosumi_alerts_pending", "Alerts in the outbox, not yet delivered to their webhook.");
        _alertsSent = factory.CreateCounter("kodosumi_alerts_sent_total", "Alerts a webhook answered with 2xx, since the process started.");
        _alertsRetried = factory.CreateCounter("kodosumi_alerts_retried_total", "Failed deliveries that were tried again, since the process started.");
        _alertsDropped = factory.CreateCounter("kodosumi_alerts_dropped_total", "Alerts given up undelivered (Alerts:GiveUpAfter), since the process started.");
        _folded = factory.CreateCounter("kodosumi_folded_executions_total", "Executions folded into the index since the process started.");
        _sinceScan = factory.CreateGauge("kodosumi_index_seconds_since_scan",
            "Seconds since the last full scan ended: nothing the watcher missed is older than this plus a rescan interval.");
        _lag = factory.CreateHistogram("kodosumi_index_lag_seconds",
            "From the newest event's own timestamp to the moment the API shows it, per folded execution with new rows, after the first scan.",
            new HistogramConfiguration { Buckets = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600] });
        DotNetStats.Register(Registry);
        Registry.AddBeforeCollectCallback(Collect);
        catalog.Events.Folded += ObserveLag;
    }

    void Collect()
    {
        var executions = _catalog.Snapshot().NewestFirst;
        var counts = executions.CountBy(s => StatusLabel(s.Status)).ToDictionary();
        foreach (var status in Statuses.Append(Other)) _byStatus.WithLabels(status).Set(counts.GetValueOrDefault(status));
        _indexed.Set(executions.Count);
        _withProblems.Set(_catalog.WithProblemsCount);
        _quarantined.Set(_catalog.QuarantinedCount);
        var stall = _stalls.Now();
        _stalled.Set(executions.Count(stall.IsStalled));
        _alertsPending.Set(_store.OutboxState().Count);
        _alertsSent.IncTo(_alerts.Sent);
        _alertsRetried.IncTo(_alerts.Retried);
        _alertsDropped.IncTo(_alerts.Dropped);
        _folded.IncTo(_status.FoldedSinceStart);
        if (_status.LastScanAt is { } scanned) _sinceScan.Set((_time.GetUtcNow() - scanned).TotalSeconds);
    }

    /// <summary>Runs under the catalog's lock: cheap by design.</summary>
    void ObserveLag(ExecutionSummary? previous, ExecutionSummary current)
    {
        // The first scan folds whatever was written while the service was away: that is history, not lag.
        if (!_status.Ready || current.LastTimestamp is not { } newest || current.LastFoldedId <= (previous?.LastFoldedId ?? 0)) return;
        _lag.Observe(Math.Max(0, _time.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0 - newest));
    }

    public static string StatusLabel(string? status) =>
        status is null ? ExecutionRow.UnknownStatus : Array.IndexOf(Statuses, status) >= 0 ? status : Other;
}
