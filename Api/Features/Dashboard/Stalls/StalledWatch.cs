using Kodosumi.Api.Hosting;
using Kodosumi.Indexer;
using Kodosumi.Indexer.Alerts;
using Kodosumi.Shared.Model;
using Microsoft.Extensions.Options;

namespace Kodosumi.Api.Features.Dashboard.Stalls;

/// <summary>
/// Tells the live stream what no change of the index tells it: a run that has just crossed the stall line
/// (a <c>stalled</c> event, once per crossing), and a stalled run that writes again without a new status
/// (a <c>status</c> event); the runs that stalled are written to the alert outbox too. Looks every <c>Dashboard:StalledCheckInterval</c> on the injected clock.
/// </summary>
public sealed class StalledWatch(IIndexReader index, StallClock stalls, IStallAlerts alerts, IOptions<DashboardOptions> options, TimeProvider time)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        index.Events.Folded += OnFolded;
        try
        {
            // Runs already stalled when the service starts crossed the line while nobody watched: not announced.
            var before = stalls.Now();
            using var timer = new PeriodicTimer(options.Value.StalledCheckInterval, time);
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var now = stalls.Now();
                var crossed = SilentRuns.Crossed(index.Snapshot().All, before, now).ToList();
                index.Events.PublishStalled(crossed);
                alerts.EnqueueStalled(crossed);
                before = now;
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The host stops.
        }
        finally
        {
            index.Events.Folded -= OnFolded;
        }
    }

    /// <summary>Runs under the catalog's lock: two comparisons and, rarely, one event.</summary>
    void OnFolded(ExecutionSummary? previous, ExecutionSummary current)
    {
        // A changed status is announced by the index itself.
        if (previous is null || !string.Equals(previous.Status, current.Status, StringComparison.Ordinal)) return;
        var line = stalls.Now();
        if (line.IsStalled(previous) && !line.IsStalled(current)) index.Events.PublishMovedAgain(current);
    }
}
