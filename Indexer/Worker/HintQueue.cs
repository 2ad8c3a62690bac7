using System.Threading.Channels;
using Kodosumi.Indexer.Sources;
using Microsoft.Extensions.Options;

namespace Kodosumi.Indexer.Worker;

/// <summary>What the watcher tells the worker: a path changed, or it lost track of the tree.</summary>
internal interface IFolderChanges
{
    void Changed(string path);
    void Lost();
}

/// <summary>A request to the worker: fold one execution, or scan the whole tree.</summary>
internal abstract record Hint;

/// <summary>Something in this execution's folder changed.</summary>
internal sealed record FoldExecution(ExecutionFolder Folder) : Hint;

/// <summary>Something above an execution changed, or hints were lost: only a full scan can tell what.</summary>
internal sealed record RescanAll : Hint
{
    public static readonly RescanAll Instance = new();
}

/// <summary>The hints taken at once: folded together, or all covered by one full scan.</summary>
internal readonly record struct HintBatch(bool RescanAll, IReadOnlyCollection<ExecutionFolder> Folders);

/// <summary>
/// The worker's inbox: the watcher's changed paths turned into typed hints, bounded (a hint that does not fit turns
/// into a full scan), debounced so a burst of writes to one execution settles into one fold, and a second look at
/// executions whose last fold may have come too early.
/// </summary>
internal sealed class HintQueue(IOptions<IndexerOptions> options, TimeProvider time) : IFolderChanges
{
    /// <summary>How long after a fold that saw an unsettled WAL the execution is looked at again.</summary>
    public static readonly TimeSpan LookAgainAfter = TimeSpan.FromSeconds(1);

    readonly string _root = options.Value.ExecutionRoot;
    readonly TimeSpan _debounce = options.Value.Debounce;
    readonly Channel<Hint> _hints = Channel.CreateBounded<Hint>(new BoundedChannelOptions(50_000)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.DropWrite,
    });
    volatile bool _dropped;
    bool _rescanAfterPass;
    readonly HashSet<string> _lookingAgain = new(StringComparer.Ordinal);

    public void Changed(string path)
    {
        // Readers update -shm (our own reads included): reacting to it would feed back into itself.
        if (path.EndsWith("-shm", StringComparison.Ordinal)) return;
        // Hidden folders are skipped by every scan: a busy one must not set off full rescans.
        if (ExecutionFolders.IsInHiddenFolder(_root, path)) return;
        Add(ExecutionFolders.FromChangedPath(_root, path) is { } folder ? new FoldExecution(folder) : RescanAll.Instance);
    }

    public void Lost() => Add(RescanAll.Instance);

    public void Fold(ExecutionFolder folder) => Add(new FoldExecution(folder));

    /// <summary>Hints the execution again after <see cref="LookAgainAfter"/>, once however often this is asked meanwhile.</summary>
    public void LookAgainSoon(ExecutionFolder folder)
    {
        lock (_lookingAgain)
            if (!_lookingAgain.Add(folder.Fid)) return;
        _ = Task.Delay(LookAgainAfter, time).ContinueWith(_ =>
        {
            lock (_lookingAgain) _lookingAgain.Remove(folder.Fid);
            Fold(folder);
        }, TaskScheduler.Default);
    }

    void Add(Hint hint)
    {
        if (!_hints.Writer.TryWrite(hint)) _dropped = true;
    }

    public Task WaitAsync(CancellationToken stop) => _hints.Reader.WaitToReadAsync(stop).AsTask();

    /// <summary>Waits the debounce: the writes of one burst arrive meanwhile and are folded once.</summary>
    public Task SettleAsync(CancellationToken stop) => Task.Delay(_debounce, time, stop);

    /// <summary>True once hints have waited their debounce since <paramref name="seenAt"/> first saw them (for a pass that cannot await).</summary>
    public bool Due(ref long? seenAt)
    {
        if (_hints.Reader.Count == 0) return false;
        seenAt ??= System.Diagnostics.Stopwatch.GetTimestamp();
        if (System.Diagnostics.Stopwatch.GetElapsedTime(seenAt.Value) < _debounce) return false;
        seenAt = null;
        return true;
    }

    /// <summary>Everything waiting; hints that were dropped for want of room ask for a full scan.</summary>
    public HintBatch Take()
    {
        var folders = Drain(out var rescan);
        rescan |= _dropped;
        _dropped = false;
        return new HintBatch(rescan, folders);
    }

    /// <summary>The folds waiting, taken while a scan's pass runs; a full scan asked meanwhile is kept for after it (<see cref="PassEnded"/>).</summary>
    public IReadOnlyCollection<ExecutionFolder> TakeFoldsDuringPass()
    {
        var folders = Drain(out var rescan);
        _rescanAfterPass |= rescan;
        return folders;
    }

    /// <summary>A scan ended: a full scan asked for while it ran is queued now (its listing may have missed that change).</summary>
    public void PassEnded()
    {
        if (!_rescanAfterPass) return;
        _rescanAfterPass = false;
        Add(RescanAll.Instance);
    }

    HashSet<ExecutionFolder> Drain(out bool rescan)
    {
        var folders = new HashSet<ExecutionFolder>();
        rescan = false;
        while (_hints.Reader.TryRead(out var hint))
        {
            if (hint is FoldExecution fold) folders.Add(fold.Folder);
            else rescan = true;
        }
        return folders;
    }
}
