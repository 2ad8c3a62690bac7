using Kodosumi.Indexer.Platform;
using Kodosumi.Indexer.Sources;
using Kodosumi.Indexer.Store;
using Kodosumi.Shared;
using Kodosumi.Shared.Model;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Kodosumi.Indexer.Worker;

/// <summary>Opens the inotify instance; the one seam through which tests make it fail, or refuse a watch.</summary>
internal class WatcherFactory
{
    public virtual Inotify Open() => new();
}

/// <summary>
/// Watches the execution tree in tiers, on one inotify instance, because inotify needs a watch per folder
/// and watching everything (executions with their <c>in/</c> and <c>out/</c>) at 100,000 executions needs
/// more than a usual user's limit: the root (user folders appearing or going) and each user folder
/// (execution folders appearing or going), each without its sub-folders, and each live execution's folder
/// with everything below it (its database, WAL and files). The worker says after each commit which
/// executions are live (<see cref="Track(IEnumerable{IndexChange})"/>): every one that has not finished, however
/// long it has been quiet (a run awaiting a person's answer for days), and a finished one for a few minutes; a
/// later change to an execution finished longer ago is found by the periodic rescan.
/// A new execution folder is watched as soon as it appears. Events are only hints: each changed path is passed on.
/// The instance failing (its event queue overflowed, the inotify instance or watch limit at the start, the
/// root deleted or moved) drops every watch and asks for a full rescan; until they are added again, after
/// <c>retryDelay</c> and by themselves, health says degraded and why. A folder below the root that cannot be
/// watched (the inotify watch limit) is left to the periodic rescans, health says degraded and why, and it is
/// tried again after <c>retryDelay</c>.
/// </summary>
internal sealed class FolderWatcher(
    string root, IFolderChanges changes, IndexerStatus status, ILogger logger,
    TimeSpan retryDelay, WatcherFactory factory, TimeProvider time, TimeSpan? watchFinishedFor = null) : IDisposable
{
    /// <summary>The service's watcher: on the execution root, telling the worker's hint queue.</summary>
    public FolderWatcher(IOptions<IndexerOptions> options, HintQueue hints, IndexerStatus status, ILogger<FolderWatcher> logger, WatcherFactory factory, TimeProvider time)
        : this(options.Value.ExecutionRoot, hints, status, logger, options.Value.WatcherRetryDelay, factory, time, options.Value.WatchFinishedFor)
    {
    }

    /// <summary>How long after a folder appears it is looked at once more.</summary>
    public static readonly TimeSpan SettleDelay = TimeSpan.FromSeconds(1);
    /// <summary>By default a finished or failed execution stays watched this long after its last event: late files, the writer closing its database.</summary>
    public static readonly TimeSpan FinishedWatchTime = TimeSpan.FromMinutes(5);

    /// <summary>The root and user folders: folders appearing or going.</summary>
    const uint FolderEvents = Inotify.Create | Inotify.Delete | Inotify.MovedFrom | Inotify.MovedTo;
    /// <summary>An execution's folder and those below it: files written too.</summary>
    const uint ExecutionEvents = FolderEvents | Inotify.Modify;

    readonly string _root = Path.TrimEndingDirectorySeparator(root);
    readonly TimeSpan _watchFinishedFor = watchFinishedFor ?? FinishedWatchTime;
    readonly Lock _gate = new();
    /// <summary>While it runs, the watcher is up.</summary>
    Inotify? _inotify;
    /// <summary>User folders and live execution folders watched now, by path, with the watches of the folders below an execution.</summary>
    readonly Dictionary<string, List<int>> _folders = new(StringComparer.Ordinal);
    /// <summary>Folders that should be watched but could not be (the inotify watch limit): the rescans cover them.</summary>
    readonly HashSet<string> _unwatched = new(StringComparer.Ordinal);
    string? _unwatchedReason;
    ITimer? _retryUnwatched;
    /// <summary>Live executions by fid, each watched until the time given; from the index, so kept while the watches are down.</summary>
    readonly Dictionary<string, (string Folder, DateTimeOffset Until)> _live = new(StringComparer.Ordinal);
    ITimer? _retry;
    bool _disposed;
    readonly HashSet<ITimer> _lookAgain = [];

    public bool IsActive
    {
        get { lock (_gate) return _inotify is not null; }
    }

    /// <summary>Whether <paramref name="folder"/> (a user or an execution folder) is watched now.</summary>
    public bool IsWatching(string folder)
    {
        lock (_gate) return _folders.ContainsKey(folder);
    }

    /// <summary>
    /// Starts watching unless the watcher runs or a retry is already scheduled (every scan calls this, and
    /// notices a root that is gone), and stops watching executions quiet for long enough; returns whether
    /// the watcher runs now.
    /// </summary>
    public bool EnsureStarted()
    {
        // A retry may hold the gate while it adds a watch per user folder and live execution: a scan goes
        // on without waiting for it; the next scan looks again.
        if (!_gate.TryEnter()) return false;
        try
        {
            if (_inotify is not null && !Directory.Exists(_root)) LoseLocked($"{_root} was deleted or moved");
            else if (_inotify is null && _retry is null) StartLocked();
            ForgetQuietLocked(time.GetUtcNow());
            UpdateStatusLocked();
            return _inotify is not null;
        }
        finally
        {
            _gate.Exit();
        }
    }

    /// <summary>Live executions without a watch now: past the inotify watch limit, or all of them while the watcher is down.</summary>
    public List<ExecutionFolder> UnwatchedLive()
    {
        lock (_gate)
        {
            var unwatched = new List<ExecutionFolder>();
            if (_inotify is not null && _unwatched.Count == 0) return unwatched;
            foreach (var (folder, _) in _live.Values)
                if (!_folders.ContainsKey(folder) && ExecutionFolders.FromChangedPath(_root, folder) is { } execution) unwatched.Add(execution);
            return unwatched;
        }
    }

    /// <summary>Until when an execution is watched, from what its last fold shows.</summary>
    public static DateTimeOffset WatchUntil(ExecutionSummary execution) => WatchUntil(execution, FinishedWatchTime);

    static DateTimeOffset WatchUntil(ExecutionSummary execution, TimeSpan watchFinishedFor)
    {
        // Not finished: it may resume at any moment (a person answers), and that moment is when the dashboard is looked at.
        if (!ExecutionStatus.IsFinal(execution.Status)) return DateTimeOffset.MaxValue;
        var last = execution.LastTimestamp is { } t && double.IsFinite(t) ? t : execution.CreatedAt;
        // Clamped: a timestamp far outside the calendar must not throw.
        return DateTimeOffset.FromUnixTimeMilliseconds((long)(Math.Clamp(last, 0, 2e11) * 1000)) + watchFinishedFor;
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
                if (summary is not null && WatchUntil(summary, _watchFinishedFor) is var until && until > now)
                {
                    var folder = Path.Combine(_root, summary.UserId, fid);
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

    /// <summary>Returns whether the watcher runs now; otherwise a retry is scheduled.</summary>
    bool StartLocked()
    {
        if (_disposed) return false;
        if (!Directory.Exists(_root))
        {
            SetDown($"waiting for {_root} to exist");
            return false;
        }
        Inotify? inotify = null;
        try
        {
            inotify = factory.Open();
            var opened = inotify;
            inotify.Changed += OnChange;
            inotify.Failed += error => OnFailed(opened, error);
            inotify.Add(_root, FolderEvents);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or PlatformNotSupportedException)
        {
            inotify?.Dispose();
            logger.LogWarning("Cannot watch {Root}, relying on periodic rescans and trying again in {Delay}: {Reason}", _root, retryDelay, e.Message);
            SetDown($"rescans only: {e.Message}");
            return false;
        }
        _inotify = inotify;
        WatchRootName(inotify);
        foreach (var user in UserFolders()) WatchLocked(user);
        foreach (var (folder, _) in _live.Values) WatchLocked(folder);
        UpdateStatusLocked();
        return true;
    }

    /// <summary>Watches the root's name in its parent: inotify says nothing of the root itself being deleted or moved.</summary>
    void WatchRootName(Inotify inotify)
    {
        if (Path.GetDirectoryName(_root) is not { } parent) return;
        try
        {
            inotify.Add(parent, Inotify.Delete | Inotify.MovedFrom);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The rescans notice a root that is gone, only later.
            logger.LogDebug("Cannot watch the parent of {Root}: {Reason}", _root, e.Message);
        }
    }

    IEnumerable<string> UserFolders()
    {
        try
        {
            return Directory.EnumerateDirectories(_root).Where(d => !ExecutionFolders.IsInHiddenFolder(_root, d)).ToList();
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
        if (_inotify is not { } inotify || _folders.ContainsKey(folder)) return true;
        if (!retrying && _unwatched.Count > 0)
        {
            _unwatched.Add(folder);
            return false;
        }
        var watches = new List<int>();
        try
        {
            if (IsExecutionFolder(folder)) WatchTree(inotify, folder, watches);
            else watches.Add(inotify.Add(folder, FolderEvents));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            foreach (var wd in watches) inotify.Remove(wd);
            // Gone meanwhile: nothing to watch.
            if (!Directory.Exists(folder)) return true;
            MarkUnwatchedLocked(folder, e);
            return false;
        }
        _folders[folder] = watches;
        _unwatched.Remove(folder);
        return true;
    }

    static readonly EnumerationOptions SubFolders = new() { AttributesToSkip = FileAttributes.ReparsePoint, IgnoreInaccessible = true };

    /// <summary>A folder below an execution and every folder below it (symbolic links not followed).</summary>
    static void WatchTree(Inotify inotify, string folder, List<int> watches, bool below = false)
    {
        try
        {
            watches.Add(inotify.Add(folder, ExecutionEvents));
            foreach (var sub in Directory.EnumerateDirectories(folder, "*", SubFolders)) WatchTree(inotify, sub, watches, below: true);
        }
        catch (DirectoryNotFoundException) when (below)
        {
            // A sub-folder deleted meanwhile.
        }
    }

    bool IsExecutionFolder(string path) => ExecutionFolders.FromChangedPath(_root, path) is { } execution && execution.Path == path;

    void StopWatchingLocked(string folder)
    {
        _unwatched.Remove(folder);
        if (!_folders.Remove(folder, out var watches)) return;
        foreach (var wd in watches) _inotify?.Remove(wd);
    }

    void OnChange(string path, uint mask)
    {
        var isFolder = (mask & Inotify.IsDirectory) != 0;
        if (path == _root)
        {
            // From the watch on the root's parent.
            if (isFolder) Lose((mask & Inotify.Delete) != 0 ? $"{_root} was deleted" : $"{_root} was moved");
            return;
        }
        var below = ExecutionFolders.FromChangedPath(_root, path);
        // Another entry of the root's parent.
        if (below is null && Path.GetDirectoryName(path) != _root) return;
        var inExecution = below is not null && below.Path != path;
        // The root and user folders are watched for folders only.
        if (!isFolder && !inExecution) return;
        if ((mask & (Inotify.Create | Inotify.MovedTo)) != 0) Appeared(path, isFolder, below);
        else if ((mask & (Inotify.Delete | Inotify.MovedFrom)) != 0) Disappeared(path, inExecution);
        else changes.Changed(path);
    }

    void Appeared(string path, bool isFolder, ExecutionFolder? execution)
    {
        var hidden = ExecutionFolders.IsInHiddenFolder(_root, path);
        if (isFolder && !hidden)
            lock (_gate)
            {
                if (execution is null || execution.Path == path)
                {
                    // A user folder, or an execution folder: watched at once, before its first fold says whether
                    // it is live, since its first rows come next.
                    if (execution is not null) _live.TryAdd(execution.Fid, (path, time.GetUtcNow() + _watchFinishedFor));
                    WatchLocked(path);
                }
                else if (_inotify is { } inotify && _folders.TryGetValue(execution.Path, out var watches))
                {
                    // A folder below a watched execution (in/, out/ or deeper).
                    try
                    {
                        WatchTree(inotify, path, watches);
                    }
                    catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                    {
                        if (Directory.Exists(path))
                        {
                            StopWatchingLocked(execution.Path);
                            MarkUnwatchedLocked(execution.Path, e);
                        }
                    }
                }
                UpdateStatusLocked();
            }
        changes.Changed(path);
        // The watch on a new folder is added only after its creation is seen: files written into it before
        // that raise no event. A second look shortly after finds them without waiting for the next rescan.
        // A user folder needs none: its appearance asks for a full scan anyway.
        if (isFolder && !hidden && execution is not null) LookAgainLater(path);
    }

    void Disappeared(string path, bool inExecution)
    {
        changes.Changed(path);
        // Only user and execution folders are tracked here; the kernel drops the watch of a folder deleted below an execution.
        if (inExecution) return;
        lock (_gate)
        {
            if (!_folders.ContainsKey(path) && !_unwatched.Contains(path)) return;
            StopWatchingLocked(path);
            UpdateStatusLocked();
        }
    }

    void LookAgainLater(string path)
    {
        // Its own lock: events must not wait for a retry that holds the gate.
        lock (_lookAgain)
        {
            if (_disposed) return;
            ITimer? timer = null;
            timer = time.CreateTimer(_ =>
            {
                lock (_lookAgain)
                    if (!_lookAgain.Remove(timer!)) return;
                timer!.Dispose();
                changes.Changed(path);
            }, null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            // Held here: an unreferenced timer may be collected before it fires.
            _lookAgain.Add(timer);
            timer.Change(SettleDelay, Timeout.InfiniteTimeSpan);
        }
    }

    void OnFailed(Inotify inotify, Exception error)
    {
        lock (_gate)
        {
            // One already replaced may still report; only the current one counts.
            if (inotify == _inotify) LoseLocked(Describe(error));
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
            if (_inotify is null || _disposed) return;
            foreach (var folder in _unwatched.ToList())
            {
                var wanted = ExecutionFolders.FromChangedPath(_root, folder) is { } execution
                    ? _live.TryGetValue(execution.Fid, out var live) && live.Folder == folder
                    : Directory.Exists(folder);
                if (!wanted) _unwatched.Remove(folder);
                else if (WatchLocked(folder, retrying: true)) watched.Add(folder);
                else break;
            }
            if (_unwatched.Count == 0) logger.LogInformation("Watching every folder of {Root} again", _root);
            else _retryUnwatched ??= time.CreateTimer(_ => RetryUnwatched(), null, retryDelay, Timeout.InfiniteTimeSpan);
            UpdateStatusLocked();
        }
        // What changed while they were not watched: a user folder asks for a full scan, an execution for a fold.
        foreach (var folder in watched) changes.Changed(folder);
    }

    void UpdateStatusLocked()
    {
        status.WatchedFolders = _inotify is null ? 0 : 1 + _folders.Count;
        // While the watcher is down, SetDown said why.
        if (_inotify is null) return;
        status.WatcherState = _unwatched.Count == 0 ? "watching" : $"watching, {_unwatched.Count} folders by rescans only: {_unwatchedReason}";
        status.WatcherHealthy = _unwatched.Count == 0;
    }

    void Lose(string reason)
    {
        lock (_gate) LoseLocked(reason);
    }

    void LoseLocked(string reason)
    {
        if (_inotify is null || _disposed) return;
        logger.LogWarning("File watcher on {Root} failed ({Reason}); rescanning, and watching again in {Delay}", _root, reason, retryDelay);
        StopLocked();
        // Not at once: a watcher that fails for good (inotify limits) would fail again in a tight loop.
        SetDown($"rescans only: {reason}");
        changes.Lost();
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
            started = _inotify is null && StartLocked();
        }
        if (!started) return;
        logger.LogInformation("Watching {Root} again; rescanning for what happened meanwhile", _root);
        changes.Lost();
    }

    void StopLocked()
    {
        // Closing the instance drops every watch.
        _inotify?.Dispose();
        _inotify = null;
        _folders.Clear();
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
