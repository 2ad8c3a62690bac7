using Kodosumi.Indexer.Sources;
using Kodosumi.Indexer.Store;
using Kodosumi.Shared.Model;
using Microsoft.Extensions.Logging;

namespace Kodosumi.Indexer.Worker;

/// <summary>Creates the file watchers; the one seam through which tests raise a watcher's own Error event.</summary>
public class WatcherFactory
{
    public virtual FileSystemWatcher Create(string path) => new(path);
}

/// <summary>
/// Watches the execution tree in tiers, because inotify needs a watch per folder and a recursive watch over
/// 100,000 executions (with their <c>in/</c> and <c>out/</c>) needs more than a usual user's limit: the root
/// (user folders appearing or going) and each user folder (execution folders appearing or going), each
/// without its sub-folders, and each live execution's folder with everything below it (its database, WAL
/// and files). The worker says after each commit which executions are live (<see cref="Track(IEnumerable{IndexChange})"/>);
/// one that finished a few minutes ago, or was quiet for a day, is no longer watched and a later change to
/// it is found by the periodic rescan. A new execution folder is watched as soon as it appears.
/// Events are only hints: each changed path is passed on.
/// The root's watcher failing (buffer overflow, inotify limits, the root deleted or moved, which .NET's watcher
/// does not report) drops every watcher and asks for a full rescan; until they are created again, after
/// <c>retryDelay</c> and by themselves, health says degraded and why. A folder below the root that cannot be
/// watched (the inotify watch limit) is left to the periodic rescans, health says degraded and why, and it is
/// tried again after <c>retryDelay</c>.
/// </summary>
public sealed class FolderWatcher(
    string root, Action<string> onChanged, Action onLost, IndexerStatus status, ILogger logger,
    TimeSpan retryDelay, WatcherFactory factory, TimeProvider time) : IDisposable
{
    /// <summary>How long after a folder appears it is looked at once more.</summary>
    public static readonly TimeSpan SettleDelay = TimeSpan.FromSeconds(1);
    /// <summary>A finished or failed execution stays watched this long after its last event: late files, the writer closing its database.</summary>
    public static readonly TimeSpan FinishedWatchTime = TimeSpan.FromMinutes(5);
    /// <summary>Any other stays watched this long after its last event: a run whose process died stays "running" for ever.</summary>
    public static readonly TimeSpan QuietWatchTime = TimeSpan.FromDays(1);

    const NotifyFilters ExecutionChanges = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size;

    readonly Lock _gate = new();
    /// <summary>The root's watcher: while it runs, the watcher is up.</summary>
    FileSystemWatcher? _watcher;
    /// <summary>Watches the root's own name in its parent: the root's watcher goes quiet when the root is deleted or moved.</summary>
    FileSystemWatcher? _rootNameWatcher;
    /// <summary>User folders and live execution folders watched now, by path.</summary>
    readonly Dictionary<string, FileSystemWatcher> _folders = new(StringComparer.Ordinal);
    readonly Dictionary<FileSystemWatcher, string> _folderOf = [];
    /// <summary>Folders that should be watched but could not be (the inotify watch limit): the rescans cover them.</summary>
    readonly HashSet<string> _unwatched = new(StringComparer.Ordinal);
    string? _unwatchedReason;
    ITimer? _retryUnwatched;
    /// <summary>Live executions by fid, each watched until the time given; from the index, so kept while the watchers are down.</summary>
    readonly Dictionary<string, (string Folder, DateTimeOffset Until)> _live = new(StringComparer.Ordinal);
    ITimer? _retry;
    bool _disposed;
    /// <summary>The watcher being started: .NET raises a failure to add its watch (inotify limits) as an Error event, during the start itself.</summary>
    FileSystemWatcher? _starting;
    Exception? _startFailure;
    readonly HashSet<ITimer> _lookAgain = [];

    public bool IsActive
    {
        get { lock (_gate) return _watcher is not null; }
    }

    /// <summary>Whether <paramref name="folder"/> (a user or an execution folder) has a watcher of its own now.</summary>
    public bool IsWatching(string folder)
    {
        lock (_gate) return _folders.ContainsKey(folder);
    }

    /// <summary>
    /// Starts watching unless a watcher runs or a retry is already scheduled (every scan calls this, and
    /// notices a root that is gone), and stops watching executions quiet for long enough; returns whether
    /// the root's watcher runs now.
    /// </summary>
    public bool EnsureStarted()
    {
        // A retry may hold the gate while it adds a watcher per user folder and live execution: a scan goes
        // on without waiting for it; the next scan looks again.
        if (!_gate.TryEnter()) return false;
        try
        {
            if (_watcher is not null && !Directory.Exists(root)) LoseLocked($"{root} was deleted or moved");
            else if (_watcher is null && _retry is null) StartLocked();
            ForgetQuietLocked(time.GetUtcNow());
            UpdateStatusLocked();
            return _watcher is not null;
        }
        finally
        {
            _gate.Exit();
        }
    }

    /// <summary>Until when an execution is watched, from what its last fold shows.</summary>
    public static DateTimeOffset WatchUntil(ExecutionSummary execution)
    {
        var finished = execution.Status is { } s
            && (s.Equals("finished", StringComparison.OrdinalIgnoreCase) || s.Equals("error", StringComparison.OrdinalIgnoreCase));
        var last = execution.LastTimestamp is { } t && double.IsFinite(t) ? t : execution.CreatedAt;
        // Clamped: a timestamp far outside the calendar must not throw.
        var lastEvent = DateTimeOffset.FromUnixTimeMilliseconds((long)(Math.Clamp(last, 0, 2e11) * 1000));
        return lastEvent + (finished ? FinishedWatchTime : QuietWatchTime);
    }

    /// <summary>After a commit: watches the executions it shows live, stops watching the others and those removed.</summary>
    public void Track(IEnumerable<IndexChange> committed) =>
        Track(committed.Select(c => (c.Fid, (c as UpsertExecution)?.Summary)));

    /// <summary>At start: watches the executions the index shows live.</summary>
    public void Track(IEnumerable<ExecutionSummary> indexed) => Track(indexed.Select(s => (s.Fid, (ExecutionSummary?)s)));

    void Track(IEnumerable<(string Fid, ExecutionSummary? Summary)> executions)
    {
        var now = time.GetUtcNow();
        lock (_gate)
        {
            foreach (var (fid, summary) in executions)
            {
                if (summary is not null && WatchUntil(summary) is var until && until > now)
                {
                    var folder = Path.Combine(root, summary.UserId, fid);
                    // Moved to another user's folder: the old one is gone.
                    if (_live.TryGetValue(fid, out var before) && before.Folder != folder) StopWatchingLocked(before.Folder);
                    _live[fid] = (folder, until);
                    WatchLocked(folder);
                }
                else if (_live.Remove(fid, out var gone))
                {
                    StopWatchingLocked(gone.Folder);
                }
            }
            UpdateStatusLocked();
        }
    }

    void ForgetQuietLocked(DateTimeOffset now)
    {
        foreach (var (fid, (folder, until)) in _live)
            if (until <= now)
            {
                _live.Remove(fid);
                StopWatchingLocked(folder);
            }
    }

    /// <summary>Returns whether the root's watcher runs now; otherwise a retry is scheduled.</summary>
    bool StartLocked()
    {
        if (_disposed) return false;
        if (!Directory.Exists(root))
        {
            SetDown($"waiting for {root} to exist");
            return false;
        }
        var watcher = TryOpen(root, recursive: false, NotifyFilters.DirectoryName, out var failure);
        if (watcher is null)
        {
            logger.LogWarning("Cannot watch {Root}, relying on periodic rescans and trying again in {Delay}: {Reason}", root, retryDelay, Describe(failure));
            SetDown($"rescans only: {Describe(failure)}");
            return false;
        }
        _watcher = watcher;
        _rootNameWatcher = WatchRootName();
        foreach (var user in UserFolders()) WatchLocked(user);
        foreach (var (folder, _) in _live.Values) WatchLocked(folder);
        UpdateStatusLocked();
        return true;
    }

    IEnumerable<string> UserFolders()
    {
        try
        {
            return Directory.EnumerateDirectories(root).Where(d => !ExecutionFolders.IsInHiddenFolder(root, d)).ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    /// <summary>
    /// Watches a user folder (its own entries) or an execution folder (everything below it). Unless retrying, a
    /// new watch waits for the retry while some folder could not be watched: at the inotify limit a burst of new
    /// folders would otherwise fail one by one. False when it could not be watched.
    /// </summary>
    bool WatchLocked(string folder, bool retrying = false)
    {
        if (_watcher is null || _folders.ContainsKey(folder)) return true;
        if (!retrying && _unwatched.Count > 0)
        {
            _unwatched.Add(folder);
            return false;
        }
        var execution = ExecutionFolders.FromChangedPath(root, folder) is not null;
        var watcher = TryOpen(folder, recursive: execution, execution ? ExecutionChanges : NotifyFilters.DirectoryName, out var failure);
        if (watcher is null)
        {
            // Gone meanwhile: nothing to watch.
            if (!Directory.Exists(folder)) return true;
            MarkUnwatchedLocked(folder, failure!);
            return false;
        }
        _folders[folder] = watcher;
        _folderOf[watcher] = folder;
        _unwatched.Remove(folder);
        return true;
    }

    void StopWatchingLocked(string folder)
    {
        _unwatched.Remove(folder);
        if (!_folders.Remove(folder, out var watcher)) return;
        _folderOf.Remove(watcher);
        watcher.Dispose();
    }

    /// <summary>A started watcher, or null with the reason it cannot watch <paramref name="path"/>.</summary>
    FileSystemWatcher? TryOpen(string path, bool recursive, NotifyFilters changes, out Exception? failure)
    {
        FileSystemWatcher? watcher = null;
        try
        {
            watcher = factory.Create(path);
            watcher.IncludeSubdirectories = recursive;
            watcher.NotifyFilter = changes;
            if (path == root) watcher.InternalBufferSize = 64 * 1024;
            watcher.Changed += OnEvent;
            watcher.Created += OnEvent;
            watcher.Deleted += OnEvent;
            watcher.Renamed += OnRenamed;
            watcher.Error += OnError;
            _starting = watcher;
            _startFailure = null;
            watcher.EnableRaisingEvents = true;
            failure = _startFailure;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or PlatformNotSupportedException)
        {
            failure = e;
        }
        finally
        {
            _starting = null;
        }
        if (failure is null) return watcher;
        watcher?.Dispose();
        return null;
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

    void OnEvent(object? sender, FileSystemEventArgs e)
    {
        switch (e.ChangeType)
        {
            case WatcherChangeTypes.Created: Appeared(e.FullPath); break;
            case WatcherChangeTypes.Deleted: Disappeared(e.FullPath); break;
            default: onChanged(e.FullPath); break;
        }
    }

    void OnRenamed(object? sender, RenamedEventArgs e)
    {
        Disappeared(e.OldFullPath);
        Appeared(e.FullPath);
    }

    void Appeared(string path)
    {
        var execution = ExecutionFolders.FromChangedPath(root, path);
        var isFolder = !ExecutionFolders.IsInHiddenFolder(root, path) && Directory.Exists(path);
        // A user folder, or an execution folder, appearing: watched at once, before its first fold says whether it
        // is live, since its first rows come next.
        if (isFolder && (execution is null || execution.Path == path))
            lock (_gate)
            {
                if (execution is not null) _live.TryAdd(execution.Fid, (path, time.GetUtcNow() + FinishedWatchTime));
                WatchLocked(path);
                UpdateStatusLocked();
            }
        onChanged(path);
        // The watch on a new folder is added only after its creation is seen: files written into it before
        // that raise no event. A second look shortly after finds them without waiting for the next rescan.
        // A user folder needs none: its appearance asks for a full scan anyway.
        if (isFolder && execution is not null) LookAgainLater(path);
    }

    void Disappeared(string path)
    {
        onChanged(path);
        // Only user and execution folders have watchers of their own.
        if (ExecutionFolders.FromChangedPath(root, path) is { } execution && execution.Path != path) return;
        lock (_gate)
        {
            if (!_folders.ContainsKey(path) && !_unwatched.Contains(path)) return;
            StopWatchingLocked(path);
            UpdateStatusLocked();
        }
    }

    void LookAgainLater(string path)
    {
        // Its own lock: a watcher's events must not wait for a retry that holds the gate.
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

    void OnError(object? sender, ErrorEventArgs e)
    {
        var error = e.GetException();
        lock (_gate)
        {
            if (sender is null) return;
            if (sender == _starting) _startFailure ??= error;
            // An overflow stops .NET's one inotify instance, and with it every watcher.
            else if (sender == _watcher || (error is InternalBufferOverflowException && _folderOf.ContainsKey((FileSystemWatcher)sender)))
                LoseLocked(Describe(error));
            // A watcher already replaced may still report; only a current one counts. A sub-folder of an execution
            // may be past the inotify limit: the execution is left to the rescans until the retry.
            else if (_folderOf.TryGetValue((FileSystemWatcher)sender, out var folder))
            {
                StopWatchingLocked(folder);
                MarkUnwatchedLocked(folder, error);
                UpdateStatusLocked();
            }
        }
    }

    static string Describe(Exception? error) =>
        error is InternalBufferOverflowException ? "too many changes at once (the event buffer overflowed)" : error?.Message ?? "unknown";

    void MarkUnwatchedLocked(string folder, Exception failure)
    {
        if (_unwatched.Count == 0)
            logger.LogWarning("Cannot watch {Folder} ({Reason}); it and any other folder that cannot be watched rely on periodic rescans, trying again in {Delay}",
                folder, Describe(failure), retryDelay);
        _unwatched.Add(folder);
        _unwatchedReason = Describe(failure);
        _retryUnwatched ??= time.CreateTimer(_ => RetryUnwatched(), null, retryDelay, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Tries the folders that could not be watched once more, stopping at the first that still fails.</summary>
    void RetryUnwatched()
    {
        var watched = new List<string>();
        lock (_gate)
        {
            _retryUnwatched?.Dispose();
            _retryUnwatched = null;
            if (_watcher is null || _disposed) return;
            foreach (var folder in _unwatched.ToList())
            {
                var wanted = ExecutionFolders.FromChangedPath(root, folder) is { } execution
                    ? _live.TryGetValue(execution.Fid, out var live) && live.Folder == folder
                    : Directory.Exists(folder);
                if (!wanted) _unwatched.Remove(folder);
                else if (WatchLocked(folder, retrying: true)) watched.Add(folder);
                else break;
            }
            if (_unwatched.Count == 0) logger.LogInformation("Watching every folder of {Root} again", root);
            else _retryUnwatched ??= time.CreateTimer(_ => RetryUnwatched(), null, retryDelay, Timeout.InfiniteTimeSpan);
            UpdateStatusLocked();
        }
        // What changed while they were not watched: a user folder asks for a full scan, an execution for a fold.
        foreach (var folder in watched) onChanged(folder);
    }

    void UpdateStatusLocked()
    {
        status.WatchedFolders = _watcher is null ? 0 : 1 + _folders.Count;
        // While the root's watcher is down, SetDown said why.
        if (_watcher is null) return;
        status.WatcherState = _unwatched.Count == 0 ? "watching" : $"watching, {_unwatched.Count} folders by rescans only: {_unwatchedReason}";
        status.WatcherHealthy = _unwatched.Count == 0;
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
        status.WatchedFolders = 0;
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
        _rootNameWatcher?.Dispose();
        _rootNameWatcher = null;
        foreach (var watcher in _folders.Values) watcher.Dispose();
        _folders.Clear();
        _folderOf.Clear();
        _unwatched.Clear();
        _retryUnwatched?.Dispose();
        _retryUnwatched = null;
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
