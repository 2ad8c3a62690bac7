using Kodosumi.Indexer.Store;
using Kodosumi.Indexer.Worker;
using Kodosumi.Shared.Model;
using Microsoft.Extensions.Logging;

namespace Kodosumi.Indexer.Alerts;

/// <summary>
/// The door to the outbox for those who cause alerts: the worker (alerts to write with a batch) and the stall
/// watch (runs that stalled as time passed). Nothing is planned before the first full scan is committed: the cold
/// index is history, and history sends nothing.
/// </summary>
/// <summary>Alerts the API raises itself: runs that crossed the stall line as time passed, with no change of the index.</summary>
public interface IStallAlerts
{
    void EnqueueStalled(IReadOnlyCollection<ExecutionSummary> stalled);
}

sealed class AlertOutbox(AlertPlanner planner, IndexStore store, AlertCounters counters, IndexerStatus status, TimeProvider time,
    ILogger<AlertOutbox> logger) : IStallAlerts
{
    public IReadOnlyList<OutboxAlert> PlanFor(IReadOnlyList<IndexChange> changes, Func<string, ExecutionSummary?> previousOf) =>
        status.Ready && planner.Enabled ? planner.Plan(changes, previousOf, Now()) : [];

    /// <summary>Alerts were committed: wakes the senders.</summary>
    public void Written() => counters.Written();

    public void EnqueueStalled(IReadOnlyCollection<ExecutionSummary> stalled)
    {
        if (!status.Ready || stalled.Count == 0 || !planner.Enabled) return;
        try
        {
            store.Enqueue(planner.PlanStalled(stalled, Now()));
            counters.Written();
        }
        catch (IndexStoreException e)
        {
            logger.LogWarning("Stalled alerts for {Count} runs not written: {Reason}", stalled.Count, e.Message);
        }
    }

    double Now() => time.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0;
}
