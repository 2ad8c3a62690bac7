namespace Kodosumi.Shared.Model;

/// <summary>
/// An open per-file circuit breaker: the execution's database kept failing, so it is not read again
/// before <see cref="RetryAt"/> (a half-open probe), or earlier when a hard failure's files change.
/// The summary it sits on is the last one read cleanly and stays counted.
/// </summary>
public sealed record Quarantine
{
    /// <summary>The latest failure, as the execution's problem field shows it.</summary>
    public string Reason { get; init; } = "";
    /// <summary>Unix seconds when the breaker opened.</summary>
    public double Since { get; init; }
    /// <summary>Unix seconds of the read that failed last.</summary>
    public double TriedAt { get; init; }
    /// <summary>Unix seconds of the next probe read.</summary>
    public double RetryAt { get; init; }
    /// <summary>The failure is not transient (corrupt, not a database, cannot open): a change to the files is worth a probe at once.</summary>
    public bool Hard { get; init; }
}
