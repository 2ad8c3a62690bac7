using Kodosumi.Indexer;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Kodosumi.Api.Health;

/// <summary>
/// Ready once the first full scan is committed. A watcher that is down leaves the service degraded, not
/// unready: the periodic rescan still keeps the index current. An index that cannot be written (a full disk)
/// is degraded too: the answers are what was committed, only not the newest.
/// </summary>
public sealed class IndexHealthCheck(IIndexReader index, TimeProvider time) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        // Counters only: a sorted snapshot per probe would be costly while a cold index changes the catalog many times a second.
        var status = index.State();
        var data = new Dictionary<string, object>
        {
            ["executions_indexed"] = status.Indexed,
            ["executions_with_problems"] = status.WithProblems,
            ["executions_quarantined"] = status.Quarantined,
            ["folded_since_start"] = status.FoldedSinceStart,
            ["last_scan_at"] = status.LastScanAt?.ToUnixTimeMilliseconds() / 1000.0 ?? (object)"never",
            ["last_scan_seconds"] = status.LastScanDuration?.TotalSeconds ?? (object)"never",
            ["last_scan_cpu_seconds"] = status.LastScanCpu?.TotalSeconds ?? (object)"never",
            ["watcher"] = status.WatcherState,
            ["watched_folders"] = status.WatchedFolders,
        };
        // The outbox holds only undelivered alerts, so counting it stays cheap while receivers answer.
        var (pending, oldest) = index.PendingAlerts();
        data["alerts_pending"] = pending;
        data["alerts_oldest_seconds"] = oldest is { } since ? Math.Max(0, time.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0 - since) : 0;
        if (status.IndexWriteError is { } writeError) data["index_write_error"] = writeError;
        var result = status.Rebuilding is { } why ? HealthCheckResult.Unhealthy($"rebuilding: {why}", data: data)
            : !status.Ready ? HealthCheckResult.Unhealthy("the first full scan is not done yet", data: data)
            // Still answering from what was committed, only not up to date: degraded, with the reason.
            : status.IndexWriteError is { } cannotWrite ? HealthCheckResult.Degraded($"the index cannot be written: {cannotWrite}", data: data)
            : !status.WatcherHealthy ? HealthCheckResult.Degraded($"watcher: {status.WatcherState}", data: data)
            : HealthCheckResult.Healthy("ready", data);
        return Task.FromResult(result);
    }
}
