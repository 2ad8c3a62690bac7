namespace Kodosumi.Indexer.Alerts;

/// <summary>What the senders did since the process started, for the metrics; and a wake-up call when alerts are written.</summary>
public sealed class AlertCounters
{
    long _sent, _retried, _dropped;
    readonly SemaphoreSlim _written = new(0);

    public long Sent => Interlocked.Read(ref _sent);
    public long Retried => Interlocked.Read(ref _retried);
    public long Dropped => Interlocked.Read(ref _dropped);

    public void CountSent() => Interlocked.Increment(ref _sent);
    public void CountRetry() => Interlocked.Increment(ref _retried);
    public void CountDropped() => Interlocked.Increment(ref _dropped);

    /// <summary>New alerts were committed: the senders look now instead of at their next poll.</summary>
    public void Written()
    {
        if (_written.CurrentCount == 0) _written.Release();
    }

    public Task<bool> WaitWrittenAsync(TimeSpan wait, CancellationToken ct) => _written.WaitAsync(wait, ct);
}
