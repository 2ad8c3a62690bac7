using System.Security.Cryptography;
using Kodosumi.Shared.Model;

namespace Kodosumi.Indexer.Store;

/// <summary>
/// One announcement of the live stream: a new execution, a changed status, a new error event or a
/// removed execution, as the catalog applied it. Small on purpose: the buffer must not keep summaries alive.
/// </summary>
/// <param name="Timestamp">When it happened in the source (start, status or error time); null for a removal.</param>
public sealed record IndexEvent(
    long Sequence, string Type, string Fid, string UserId, string AgentName, string? Status,
    string? PreviousStatus = null, double? Timestamp = null, long? ErrorEventId = null)
{
    public const string Execution = "execution";
    public const string StatusChanged = "status";
    public const string Error = "error";
    public const string Removed = "removed";
    /// <summary>A running or starting execution went silent for too long: it crossed the stall line by the passage of time alone.</summary>
    public const string Stalled = "stalled";
    /// <summary>The catalog was replaced as a whole (the index reopened): whatever a client holds may be wrong.</summary>
    public const string Reset = "reset";
}

/// <summary>
/// The most recent index events in a bounded ring, for the live stream and its resume after a
/// reconnect. Sequences grow by one per event and start again with each process, so an id carries
/// the process's <see cref="Epoch"/>: an id of another run cannot be mistaken for one of this run.
/// </summary>
public sealed class IndexEvents(int capacity = IndexEvents.DefaultCapacity)
{
    public const int DefaultCapacity = 10_000;

    readonly Lock _gate = new();
    // A ring: the event with sequence n sits at n % capacity; the newest capacity events are kept.
    readonly IndexEvent[] _ring = new IndexEvent[capacity];
    long _last;
    long _lastReset;
    // Per user: the sequence of their last event, so a user's stream can say where it stands without counting others' events.
    readonly Dictionary<string, long> _lastOfUser = new(StringComparer.OrdinalIgnoreCase);
    TaskCompletionSource _published = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Random per process.</summary>
    public string Epoch { get; } = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));

    /// <summary>
    /// Every applied summary with the one it replaced (null for a new execution), for measurements such as
    /// the indexing lag. Raised under the catalog's lock: handlers must be quick and must not call back.
    /// </summary>
    public event Action<ExecutionSummary?, ExecutionSummary>? Folded;

    public long LastSequence
    {
        get { lock (_gate) return _last; }
    }

    /// <summary>The sequence of the last event <paramref name="userId"/>'s executions had (or of the last reset, which is everyone's); 0 if none.</summary>
    public long LastVisibleTo(string userId)
    {
        lock (_gate) return Math.Max(_lastOfUser.GetValueOrDefault(userId), _lastReset);
    }

    /// <summary>
    /// The events after <paramref name="after"/> (null when some of them have already left the ring),
    /// and a task that completes at the next publication, taken together so that none is missed between.
    /// </summary>
    public (IReadOnlyList<IndexEvent>? Events, Task Next) Read(long after)
    {
        lock (_gate)
        {
            var oldest = Math.Max(1, _last - capacity + 1);
            if (after > _last || after < oldest - 1) return (null, _published.Task);
            var events = new IndexEvent[_last - after];
            for (var sequence = after + 1; sequence <= _last; sequence++) events[sequence - after - 1] = _ring[sequence % capacity];
            return (events, _published.Task);
        }
    }

    /// <summary>Turns one applied change into events; called by the catalog under its lock, so sequences follow versions.</summary>
    internal void Publish(ExecutionSummary? previous, ExecutionSummary current, IEnumerable<ErrorEvent> addedErrors)
    {
        Folded?.Invoke(previous, current);
        lock (_gate)
        {
            if (previous is null)
                Add(IndexEvent.Execution, current, null, current.StartTime, null);
            else if (!string.Equals(previous.Status, current.Status, StringComparison.Ordinal))
                Add(IndexEvent.StatusChanged, current, previous.Status, current.StatusTimestamp, null);
            foreach (var error in addedErrors) Add(IndexEvent.Error, current, null, error.Timestamp, error.EventId);
        }
    }

    /// <summary>Announces runs that have just crossed the stall line (no change of the index causes it), and wakes the streams.</summary>
    public void PublishStalled(IReadOnlyCollection<ExecutionSummary> executions)
    {
        if (executions.Count == 0) return;
        lock (_gate)
            foreach (var s in executions) Add(IndexEvent.Stalled, s, null, s.LastTimestamp, null);
        Signal();
    }

    /// <summary>
    /// A stalled run wrote again without changing its status: announced as a <c>status</c> event (the same status
    /// before and after), so a client that marked it stalled learns that it moves. Called from <see cref="Folded"/>.
    /// </summary>
    public void PublishMovedAgain(ExecutionSummary current)
    {
        lock (_gate) Add(IndexEvent.StatusChanged, current, current.Status, current.LastTimestamp, null);
    }

    internal void PublishRemoved(ExecutionSummary previous)
    {
        lock (_gate) Add(IndexEvent.Removed, previous, null, null, null);
    }

    internal void PublishReset()
    {
        lock (_gate) Add(IndexEvent.Reset, new ExecutionSummary(), null, null, null);
    }

    /// <summary>Wakes the streams waiting for events; called once per applied batch.</summary>
    internal void Signal()
    {
        TaskCompletionSource published;
        lock (_gate)
        {
            published = _published;
            _published = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        published.SetResult();
    }

    void Add(string type, ExecutionSummary execution, string? previousStatus, double? timestamp, long? errorEventId)
    {
        _last++;
        if (type == IndexEvent.Reset) _lastReset = _last;
        else _lastOfUser[execution.UserId] = _last;
        _ring[_last % capacity] = new IndexEvent(_last, type, execution.Fid, execution.UserId, execution.AgentName, execution.Status,
            previousStatus, timestamp, errorEventId);
    }
}
