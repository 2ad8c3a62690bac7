using Microsoft.Extensions.Logging;

namespace Kodosumi.Indexer.Worker;

/// <summary>Creates the file watchers; the one seam through which tests raise a watcher's own Error event.</summary>
public class WatcherFactory
{
    public virtual FileSystemWatcher Create(string path) => new(path);
}

/// <summary>
/// One recursive <see cref="FileSystemWatcher"/> over the execution root. Its events are only hints:
/// each changed path is passed on. Any failure (buffer overflow, inotify limits, the root deleted or
/// moved, which .NET's watcher does not report) drops it and asks for a full rescan; until it is
/// created again, after <c>retryDelay</c> and by itself, health says degraded and why, and the
/// periodic rescans keep the index current. Once watching again a full rescan catches up on the gap.
/// </summary>
public sealed class FolderWatcher(
    string root, Action<string> onChanged, Action onLost, IndexerStatus status, ILogger logger,
    TimeSpan retryDelay, WatcherFactory factory, TimeProvider time) : IDisposable
{
    readonly Lock _gate = new();
    FileSystemWatcher? _watcher;
    /// <summary>Watches the root's own name in its parent: the recursive watcher goes quiet when the root is deleted or moved.</summary>
    FileSystemWatcher? _rootWatcher;
    ITimer? _retry;
    bool _disposed;
    /// <summary>The watcher being started: .NET raises a failure to add a watch (inotify limits) as an Error event, during the start itself.</summary>
    FileSystemWatcher? _starting;
    string? _startFailure;
    readonly HashSet<ITimer> _lookAgain = [];

    public bool IsActive
    {
        get { lock (_gate) return _watcher is not null; }
    }

    /// <summary>
    /// Starts watching unless a watcher runs or a retry is already scheduled (every scan calls this, and
    /// notices a root that is gone); returns whether one runs now.
    /// </summary>
    public bool EnsureStarted()
    {
        // A retry may hold the gate for long, adding a watch per folder of a large tree (and failing at
        // the inotify limit): a scan goes on without waiting for it; the next scan looks again.
        if (!_gate.TryEnter()) return false;
        try
        {
            if (_watcher is not null && !Directory.Exists(root)) LoseLocked($"{root} was deleted or moved");
            else if (_watcher is null && _retry is null) StartLocked();
            return _watcher is not null;
        }
        finally
        {
            _gate.Exit();
        }
    }

    /// <summary>Returns whether a watcher runs now; otherwise a retry is scheduled.</summary>
    bool StartLocked()
    {
        if (_disposed) return false;
        if (!Directory.Exists(root))
        {
            SetDown($"waiting for {root} to exist");
            return false;
        }
        try
        {
            var watcher = factory.Create(root);
            watcher.IncludeSubdirectories = true;
            watcher.InternalBufferSize = 64 * 1024;
            watcher.NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size;
            watcher.Changed += OnEvent;
            watcher.Created += OnEvent;
            watcher.Deleted += OnEvent;
            watcher.Renamed += (_, e) => { onChanged(e.OldFullPath); onChanged(e.FullPath); };
            watcher.Error += OnError;
            _starting = watcher;
            _startFailure = null;
            try
            {
                watcher.EnableRaisingEvents = true;
                if (_startFailure is { } failure) throw new IOException(failure);
            }
            catch
            {
                watcher.Dispose();
                throw;
            }
            finally
            {
                _starting = null;
            }
            _watcher = watcher;
            _rootWatcher = WatchRootName();
            status.WatcherState = "watching";
            status.WatcherHealthy = true;
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or PlatformNotSupportedException)
        {
            logger.LogWarning("Cannot watch {Root}, relying on periodic rescans and trying again in {Delay}: {Reason}", root, retryDelay, e.Message);
            SetDown($"rescans only: {e.Message}");
            return false;
        }
    }

    FileSystemWatcher? WatchRootName()
    {
        var parent = Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(root));
        if (parent is null) return null;
        try
        {
            var watcher = factory.Create(parent);
            watcher.Filter = Path.GetFileName(Path.TrimEndingDirectorySeparator(root));
            watcher.NotifyFilter = NotifyFilters.DirectoryName;
            watcher.Deleted += (_, _) => Lose($"{root} was deleted");
            watcher.Renamed += (_, _) => Lose($"{root} was moved");
            watcher.EnableRaisingEvents = true;
            return watcher;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            // The rescans notice a root that is gone, only later.
            logger.LogDebug("Cannot watch the parent of {Root}: {Reason}", root, e.Message);
            return null;
        }
    }

    /// <summary>How long after a folder appears it is looked at once more.</summary>
    public static readonly TimeSpan SettleDelay = TimeSpan.FromSeconds(1);

    void OnEvent(object sender, FileSystemEventArgs e)
    {
        onChanged(e.FullPath);
        // The watch on a new folder is added only after its creation is seen: files written into it before
        // that raise no event. A second look shortly after finds them without waiting for the next rescan.
        if (e.ChangeType == WatcherChangeTypes.Created && Sources.ExecutionFolders.FromChangedPath(root, e.FullPath) is not null
            && Directory.Exists(e.FullPath))
            LookAgainLater(e.FullPath);
    }

    void LookAgainLater(string path)
    {
        // Its own lock: a watcher's events must not wait for a retry that holds the gate while it walks a large tree.
        lock (_lookAgain)
        {
            if (_disposed) return;
            ITimer? timer = null;
            timer = time.CreateTimer(_ =>
            {
                lock (_lookAgain)
                    if (!_lookAgain.Remove(timer!)) return;
                timer!.Dispose();
                onChanged(path);
            }, null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            // Held here: an unreferenced timer may be collected before it fires.
            _lookAgain.Add(timer);
            timer.Change(SettleDelay, Timeout.InfiniteTimeSpan);
        }
    }

    void OnError(object sender, ErrorEventArgs e)
    {
        var error = e.GetException();
        var reason = error is InternalBufferOverflowException ? "too many changes at once (the event buffer overflowed)" : error.Message;
        lock (_gate)
        {
            if (sender == _starting) _startFailure ??= reason;
            // A watcher already replaced may still report; only the current one counts.
            else if (sender == _watcher) LoseLocked(reason);
        }
    }

    void Lose(string reason)
    {
        lock (_gate) LoseLocked(reason);
    }

    void LoseLocked(string reason)
    {
        if (_watcher is null || _disposed) return;
        logger.LogWarning("File watcher on {Root} failed ({Reason}); rescanning, and watching again in {Delay}", root, reason, retryDelay);
        StopLocked();
        // Not at once: a watcher that fails for good (inotify limits) would fail again in a tight loop.
        SetDown($"rescans only: {reason}");
        onLost();
    }

    /// <summary>Degraded until the scheduled retry manages to watch again.</summary>
    void SetDown(string state)
    {
        status.WatcherState = state;
        status.WatcherHealthy = false;
        _retry?.Dispose();
        _retry = time.CreateTimer(_ => Retry(), null, retryDelay, Timeout.InfiniteTimeSpan);
    }

    void Retry()
    {
        bool started;
        lock (_gate)
        {
            _retry?.Dispose();
            _retry = null;
            started = _watcher is null && StartLocked();
        }
        if (!started) return;
        logger.LogInformation("Watching {Root} again; rescanning for what happened meanwhile", root);
        onLost();
    }

    void StopLocked()
    {
        _watcher?.Dispose();
        _watcher = null;
        _rootWatcher?.Dispose();
        _rootWatcher = null;
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            StopLocked();
            lock (_lookAgain)
            {
                foreach (var timer in _lookAgain) timer.Dispose();
                _lookAgain.Clear();
            }
            _retry?.Dispose();
            _retry = null;
        }
    }
}
