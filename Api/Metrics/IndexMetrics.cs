using Kodosumi.Api.Features.Dashboard.Stalls;
using Kodosumi.Api.Hosting;
using Kodosumi.Indexer;
using Kodosumi.Indexer.Alerts;
using Prometheus;

namespace Kodosumi.Api.Metrics;

/// <summary>The index in Prometheus terms, for <c>/metrics</c>: gauges set from the readings when scraped, the lag as it is observed.</summary>
public sealed class IndexMetrics
{
    readonly IndexReadings _readings;
    readonly IIndexReader _index;
    readonly StallClock _stalls;
    readonly AlertCounters _alerts;
    readonly Gauge _byStatus;
    readonly Gauge _indexed;
    readonly Gauge _withProblems;
    readonly Gauge _quarantined;
    readonly Gauge _stalled;
    readonly Gauge _alertsPending;
    readonly Counter _alertsSent, _alertsRetried, _alertsDropped;
    readonly Counter _folded;
    readonly Gauge _sinceScan;

    public CollectorRegistry Registry { get; } = Prometheus.Metrics.NewCustomRegistry();

    public IndexMetrics(IndexReadings readings, IIndexReader index, StallClock stalls, AlertCounters alerts)
    {
        _readings = readings;
        _index = index;
        _stalls = stalls;
        _alerts = alerts;
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
        var lag = factory.CreateHistogram("kodosumi_index_lag_seconds",
            "From the newest event's own timestamp to the moment the API shows it, per folded execution with new rows, after the first scan.",
            new HistogramConfiguration { Buckets = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600] });
        factory.CreateGauge("kodosumi_indexer_build_info", "The running build: always 1, its version as a label.", "version")
            .WithLabels(BuildVersion.Value).Set(1);
        DotNetStats.Register(Registry);
        Registry.AddBeforeCollectCallback(Collect);
        readings.Lag += lag.Observe;
    }

    void Collect()
    {
        var counts = _readings.CountsByStatus();
        foreach (var (status, count) in counts) _byStatus.WithLabels(status).Set(count);
        _indexed.Set(counts.Values.Sum());
        _withProblems.Set(_readings.WithProblems);
        _quarantined.Set(_readings.Quarantined);
        var stall = _stalls.Now();
        _stalled.Set(SilentRuns.CountStalled(_index.Snapshot().All, stall));
        _alertsPending.Set(_index.PendingAlerts().Count);
        _alertsSent.IncTo(_alerts.Sent);
        _alertsRetried.IncTo(_alerts.Retried);
        _alertsDropped.IncTo(_alerts.Dropped);
        _folded.IncTo(_readings.FoldedSinceStart);
        if (_readings.SecondsSinceScan is { } seconds) _sinceScan.Set(seconds);
    }
}
