namespace Kodosumi.Indexer.Alerts;

/// <summary>
/// One alert for one webhook, kept in the index's outbox until it is delivered or given up. <see cref="Id"/>
/// grows with each one written, so the outbox's order is the order of the changes; <see cref="AlertId"/> is
/// what a receiver sees, the same on every repeat.
/// </summary>
internal sealed record OutboxAlert
{
    public long Id { get; init; }
    public string AlertId { get; init; } = "";
    public int Webhook { get; init; }
    public string Event { get; init; } = "";
    public string Fid { get; init; } = "";
    public string UserId { get; init; } = "";
    public string AgentName { get; init; } = "";
    public string? Status { get; init; }
    public string? PreviousStatus { get; init; }
    public string? Error { get; init; }
    /// <summary>When it happened in the source (the status, error or latest event time), Unix seconds.</summary>
    public double? Timestamp { get; init; }
    /// <summary>When it was written to the outbox, Unix seconds: it is given up a day after.</summary>
    public double CreatedAt { get; init; }
}
