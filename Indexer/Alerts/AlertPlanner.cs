using Kodosumi.Indexer.Store;
using Kodosumi.Shared;
using Kodosumi.Shared.Model;
using Microsoft.Extensions.Options;

namespace Kodosumi.Indexer.Alerts;

/// <summary>
/// Which alerts a batch of index changes (or runs that have just stalled) causes, one per matching webhook.
/// A pure function of the changes and the summaries they replace, so the worker can write them in the batch's own transaction.
/// </summary>
internal sealed class AlertPlanner(IOptions<AlertOptions> options)
{
    /// <summary>Error texts are cut to this many characters: a receiver needs the start of a traceback, not megabytes.</summary>
    const int MaxErrorChars = 4000;

    public bool Enabled => options.Value.Webhooks.Count > 0;

    public List<OutboxAlert> Plan(IReadOnlyList<IndexChange> changes, Func<string, ExecutionSummary?> previousOf, double now)
    {
        var alerts = new List<OutboxAlert>();
        if (!Enabled) return alerts;
        foreach (var change in changes)
        {
            if (change is not UpsertExecution { Restamp: false } upsert) continue;
            var previous = previousOf(upsert.Fid);
            var current = upsert.Summary;
            var happened = new List<(double? Time, OutboxAlert Alert)>();
            // Rows folded before (a refold reads them again) were announced then; a recreated database starts anew.
            var seen = upsert.Refolded ? 0 : previous?.LastFoldedId ?? 0;
            foreach (var error in upsert.NewErrors.Where(e => e.EventId > seen))
                happened.Add((error.Timestamp, Of(AlertEvents.Error, current, null, Cut(error.Message), error.Timestamp, now)));
            if (current.Status is not null && !string.Equals(previous?.Status, current.Status, StringComparison.Ordinal))
            {
                happened.Add((current.StatusTimestamp, Of(AlertEvents.Status, current, previous?.Status, null, current.StatusTimestamp, now)));
                if (current.Status == ExecutionStatus.Finished)
                    happened.Add((current.StatusTimestamp, Of(AlertEvents.Finished, current, previous?.Status, null, current.StatusTimestamp, now)));
            }
            // In the order they happened in the source, so a receiver sees an execution's story in order.
            alerts.AddRange(happened.OrderBy(h => h.Time ?? double.MaxValue).SelectMany(h => ForEachWebhook(h.Alert)));
        }
        return alerts;
    }

    public List<OutboxAlert> PlanStalled(IEnumerable<ExecutionSummary> stalled, double now) =>
        !Enabled ? [] : [.. stalled.SelectMany(s => ForEachWebhook(Of(AlertEvents.Stalled, s, null, null, s.LastTimestamp, now)))];

    IEnumerable<OutboxAlert> ForEachWebhook(OutboxAlert alert)
    {
        var hooks = options.Value.Webhooks;
        for (var i = 0; i < hooks.Count; i++)
            if (hooks[i].Wants(alert.Event, alert.AgentName))
                yield return alert with { Webhook = i, AlertId = Guid.NewGuid().ToString("N") };
    }

    static OutboxAlert Of(string alertEvent, ExecutionSummary s, string? previousStatus, string? error, double? timestamp, double now) => new()
    {
        Event = alertEvent, Fid = s.Fid, UserId = s.UserId, AgentName = s.AgentName, Status = s.Status,
        PreviousStatus = previousStatus, Error = error, Timestamp = timestamp, CreatedAt = now,
    };

    static string Cut(string message) => message.Length <= MaxErrorChars ? message : message[..MaxErrorChars] + "…";
}
