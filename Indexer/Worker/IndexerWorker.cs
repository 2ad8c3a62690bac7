using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;
using Kodosumi.Indexer.Sources;
using Kodosumi.Indexer.Alerts;
using Kodosumi.Indexer.Store;
using Kodosumi.Indexer.Users;
using LiteDB;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Kodosumi.Indexer.Worker;

/// <summary>
/// Keeps the index equal to the execution folders: a full scan at start, watcher hints (debounced,
/// per execution) and a periodic rescan for whatever the watcher missed. One loop does all the
/// folding and writing, so the index has a single writer.
/// </summary>
public sealed class IndexerWorker(
    IOptions<IndexerOptions> options,
    IndexStore store,
    ExecutionCatalog catalog,
    ExecutionRefresher refresher,
    UserDirectory users,
    IndexerStatus status,
    TimeProvider time,
    WatcherFactory watchers,
    AlertOutbox alerts,
    IHostApplicationLifetime lifetime,
    ILogger<IndexerWorker> logger) : BackgroundService
{
    /// <summary>Changes per transaction while a pass folds many executions.</summary>
    const int CommitSize = 4096;
    /// <summary>The longest a folded change waits for its commit during a long pass.</summary>
    static readonly TimeSpan MaxCommitDelay = TimeSpan.FromSeconds(1);

    readonly IndexerOptions _options = options.Value;
    readonly string _root = options.Value.ExecutionRoot;
    /// <summary>Hints from the watcher: an execution's folder, or null for a full rescan.</summary>
    readonly Channel<ExecutionFolder?> _hints = Channel.CreateBounded<ExecutionFolder?>(new BoundedChannelOptions(50_000)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.DropWrite,
    });
    volatile bool _hintsDropped;
    /// <summary>Executions being folded by a reader or a hint, until their change is committed.</summary>
    readonly Claims _claimed = new();
    /// <summary>The folders the last scan listed, by fid: the next listing reuses their records.</summary>
    Dictionary<string, ExecutionFolder>? _listed;
    /// <summary>The listing before that one, cleared and refilled by the next scan: 100,000 entries are megabytes on the large object heap.</summary>
    Dictionary<string, ExecutionFolder>? _spareListed;
    /// <summary>A full rescan was asked for while a pass was running; it runs after that pass.</summary>
    bool _rescanRequested;
    FolderWatcher? _watcher;
    /// <summary>Executions to be hinted again shortly: their last fold saw an unsettled WAL.</summary>
    readonly HashSet<string> _lookingAgain = new(StringComparer.Ordinal);
    static readonly TimeSpan LookAgainAfter = TimeSpan.FromSeconds(1);
    /// <summary>Changes written since the last compaction of the heap.</summary>
    int _writtenSinceCompaction;
    /// <summary>Changes between two compactions during a pass, and the fewest a finished scan compacts after.</summary>
    const int CompactEvery = 25_000, CompactAfterScan = 5_000;
    /// <summary>Failed index writes since start; a scan during which one failed does not make the service ready.</summary>
    int _writeFailures;
    bool _reopening;
    TimeSpan _writeBackoff = MinWriteBackoff;
    static readonly TimeSpan MinWriteBackoff = TimeSpan.FromSeconds(1);
    static readonly TimeSpan MaxWriteBackoff = TimeSpan.FromSeconds(30);

    protected override async Task ExecuteAsync(CancellationToken hostStopping)
    {
        // The host cancels a background service only when it reaches it in its stop order, after the web
        // server drained; stopping on the first signal commits sooner and leaves more of the 10 s.
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(hostStopping, lifetime.ApplicationStopping);
        var stoppingToken = linked.Token;
        await Task.Yield();
        status.Rebuilding = store.RebuildReason;
        LoadIndex();
        logger.LogInformation("Index holds {Count} executions; scanning {Root}", catalog.Count, _root);
        users.ReloadIfChanged();
        _watcher = new FolderWatcher(_root, Hint, RescanAll, status, logger, _options.WatcherRetryDelay, watchers, time, _options.WatchFinishedFor);
        _watcher.Track(catalog.Snapshot().NewestFirst);
        _watcher.EnsureStarted();
        Scan(stoppingToken);
        if (stoppingToken.IsCancellationRequested) return;

        using var rescanTimer = new PeriodicTimer(_options.RescanInterval, time);
        using var usersTimer = new PeriodicTimer(_options.UsersReloadInterval, time);
        var rescan = rescanTimer.WaitForNextTickAsync(stoppingToken).AsTask();
        var usersTick = usersTimer.WaitForNextTickAsync(stoppingToken).AsTask();
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var hint = _hints.Reader.WaitToReadAsync(stoppingToken).AsTask();
                var done = await Task.WhenAny(hint, rescan, usersTick);
                // A due tick goes first, so a steady stream of hints can never starve the rescan.
                done = rescan.IsCompleted ? rescan : usersTick.IsCompleted ? usersTick : done;
                if (done == rescan)
                {
                    await rescan;
                    rescan = rescanTimer.WaitForNextTickAsync(stoppingToken).AsTask();
                    Scan(stoppingToken);
                }
                else if (done == usersTick)
                {
                    await usersTick;
                    usersTick = usersTimer.WaitForNextTickAsync(stoppingToken).AsTask();
                    users.ReloadIfChanged();
                }
                else
                {
                    await hint;
                    // Let a burst of writes to one execution settle into a single fold.
                    await Task.Delay(_options.Debounce, time, stoppingToken);
                    ProcessHints(stoppingToken);
                }
                await BackOffWhileUnwritable(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>
    /// Shows what the index held at start. A summary whose error count disagrees with the error events
    /// stored for it, or error events without a summary (a damaged index can lose pages silently), are
    /// forgotten, so the first scan folds that execution again from its first row, or drops it if it is gone.
    /// </summary>
    void LoadIndex()
    {
        var (executions, errors) = store.TakeLoaded();
        var stored = errors.CountBy(e => e.Fid).ToDictionary();
        var consistent = executions.Where(s => s.ErrorCount == stored.GetValueOrDefault(s.Fid)).ToList();
        var kept = consistent.Select(s => s.Fid).ToHashSet(StringComparer.Ordinal);
        var forgotten = executions.Select(s => s.Fid).Concat(stored.Keys).Where(fid => !kept.Contains(fid)).Distinct()
            .Select(fid => (IndexChange)new RemoveExecution(fid)).ToList();
        catalog.Load(consistent, errors.Where(e => kept.Contains(e.Fid)));
        if (forgotten.Count == 0) return;
        logger.LogWarning("{Count} executions in the index disagree with their stored errors; folding them again", forgotten.Count);
        Write(forgotten);
    }

    public override void Dispose()
    {
        _watcher?.Dispose();
        base.Dispose();
    }

    void Hint(string path)
    {
        // Readers update -shm (our own reads included): reacting to it would feed back into itself.
        if (path.EndsWith("-shm", StringComparison.Ordinal)) return;
        // Hidden folders are skipped by every scan: a busy one must not set off full rescans.
        if (ExecutionFolders.IsInHiddenFolder(_root, path)) return;
        var folder = ExecutionFolders.FromChangedPath(_root, path);
        // A change above an execution (a user folder appearing or going) is resolved by a full scan.
        if (!_hints.Writer.TryWrite(folder)) _hintsDropped = true;
    }

    void RescanAll()
    {
        if (!_hints.Writer.TryWrite(null)) _hintsDropped = true;
    }

    void ProcessHints(CancellationToken stop)
    {
        var folders = new HashSet<ExecutionFolder>();
        var fullRescan = _hintsDropped;
        while (_hints.Reader.TryRead(out var folder))
        {
            if (folder is null) fullRescan = true;
            else folders.Add(folder);
        }
        if (fullRescan)
        {
            _hintsDropped = false;
            Scan(stop);
        }
        else
        {
            Refresh([.. folders], force: true, stop);
        }
    }

    /// <summary>
    /// While the index cannot be written (a full disk) each try re-reads what changed; waiting longer after each
    /// failure (1 s doubling to 30 s) keeps that from spinning. Hints wait in the channel meanwhile.
    /// </summary>
    async Task BackOffWhileUnwritable(CancellationToken stop)
    {
        if (status.IndexWriteError is null)
        {
            _writeBackoff = MinWriteBackoff;
            return;
        }
        await Task.Delay(_writeBackoff, time, stop);
        _writeBackoff = TimeSpan.FromTicks(Math.Min(_writeBackoff.Ticks * 2, MaxWriteBackoff.Ticks));
    }

    /// <summary>Walks the whole tree: folds what changed and drops what is gone. The first one committed whole makes the service ready.</summary>
    void Scan(CancellationToken stop)
    {
        var failuresBefore = _writeFailures;
        var clock = Stopwatch.StartNew();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        _watcher?.EnsureStarted();
        // Listing 100,000 folders takes a few hundred milliseconds: hints that arrive meanwhile are folded, not held.
        // Only what the index held before the listing can be missing from it; an execution a hint adds meanwhile stays.
        var known = catalog.Fids();
        var previous = _listed;
        // On a thread of its own that, once the service is ready, yields to requests like the readers of the pass.
        var background = status.Ready;
        var listing = Task.Factory.StartNew(() =>
        {
            if (background) BackgroundThread.YieldToOthers();
            return ExecutionFolders.Enumerate(_root, previous);
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        long? hintSeenAt = null;
        while (!listing.Wait(10, CancellationToken.None))
        {
            if (HintsDue(ref hintSeenAt)) FoldHinted(stop);
        }
        var found = listing.GetAwaiter().GetResult();
        var present = _spareListed ?? new Dictionary<string, ExecutionFolder>(found.Count, StringComparer.Ordinal);
        present.Clear();
        present.EnsureCapacity(found.Count);
        foreach (var folder in found) present[folder.Fid] = folder;
        (_listed, _spareListed) = (present, previous);
        var removed = known.Where(fid => !present.ContainsKey(fid) && catalog.Find(fid) is not null)
            .Select(fid => (IndexChange)new RemoveExecution(fid)).ToList();
        Write(removed);
        Refresh(found, force: false, stop);
        // The rest of a bulk pass (the cold index's last thousands) is compacted too, before the service opens.
        if (_writtenSinceCompaction >= CompactAfterScan) Compact();
        status.LastScanAt = time.GetUtcNow();
        status.LastScanDuration = clock.Elapsed;
        status.LastScanCpu = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        logger.LogDebug("Scanned {Count} executions in {Elapsed}", found.Count, clock.Elapsed);
        // The last large commit of the first pass may have returned before LiteDB's background writer failed:
        // prove it reached the disk before the API opens on it.
        if (!status.Ready && _writeFailures == failuresBefore && !stop.IsCancellationRequested) Write(store.ProveWritten);
        if (!status.Ready && _writeFailures == failuresBefore && !stop.IsCancellationRequested)
        {
            status.Ready = true;
            status.Rebuilding = null;
        }
        if (_rescanRequested && !stop.IsCancellationRequested)
        {
            _rescanRequested = false;
            _hints.Writer.TryWrite(null);
        }
    }

    /// <summary>
    /// Folds with a few parallel readers feeding this thread, the index's only writer, which commits in
    /// large transactions (a commit costs a flush to disk). Watcher hints that arrive meanwhile are folded
    /// between two commits, so a fresh write never waits for the whole pass. A stop request ends the
    /// work between two commits.
    /// </summary>
    void Refresh(IReadOnlyList<ExecutionFolder> folders, bool force, CancellationToken stop)
    {
        if (folders.Count == 0) return;
        using var read = new BlockingCollection<IndexChange>(boundedCapacity: CommitSize);
        // Readers on threads of their own: a pass of 100,000 unchanged folders keeps them busy for seconds, and
        // on pool threads they would hold back the requests and hinted folds that need the pool meanwhile.
        var next = -1;
        // No more readers than cores: the one writer and the requests need them too. (More readers made a cold pass
        // on an uncached disk faster, but made FullDiskTests hang in LiteDB before the headroom of IndexStore.)
        var running = Math.Min(Math.Min(_options.ReadParallelism, Environment.ProcessorCount), folders.Count);
        var stats = RootStats.Open(_root);
        var background = status.Ready;
        var started = Enumerable.Range(0, running).Select(reader => Task.Factory.StartNew(() =>
        {
            // Each LongRunning task has a thread of its own, which ends with it.
            if (background) BackgroundThread.YieldToOthers();
            try
            {
                for (int i; (i = Interlocked.Increment(ref next)) < folders.Count && !stop.IsCancellationRequested;)
                {
                    var folder = folders[i];
                    // A hinted fold of this execution is under way: it covers this one.
                    if (!_claimed.TryClaim(folder.Fid)) continue;
                    if (refresher.Refresh(folder, catalog.Find(folder.Fid), force, stats) is { } change) read.Add(change, stop);
                    else _claimed.Release(folder.Fid);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }
            finally
            {
                if (Interlocked.Decrement(ref running) == 0) read.CompleteAdding();
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)).ToArray();
        // Closed once no reader can use it, even if this pass ends early.
        Task.WhenAll(started).ContinueWith(_ => stats?.Dispose(), TaskScheduler.Default);

        var batch = new List<IndexChange>();
        var batchAge = Stopwatch.StartNew();
        long? hintSeenAt = null;
        try
        {
            while (!read.IsCompleted)
            {
                if (read.TryTake(out var change, TimeSpan.FromMilliseconds(10)))
                {
                    if (batch.Count == 0) batchAge.Restart();
                    batch.Add(change);
                }
                if (batch.Count >= CommitSize || (batch.Count > 0 && batchAge.Elapsed >= MaxCommitDelay))
                {
                    WriteClaimed(batch);
                    batch = [];
                }
                // Hints wait their debounce, then go ahead of the rest of the pass.
                if (force || !HintsDue(ref hintSeenAt)) continue;
                WriteClaimed(batch);
                batch = [];
                FoldHinted(stop);
            }
            WriteClaimed(batch);
        }
        finally
        {
            // After a stop or a failure nothing read stays claimed.
            foreach (var change in read) _claimed.Release(change.Fid);
        }
        Task.WhenAll(started).GetAwaiter().GetResult();
    }

    /// <summary>True once hints have waited their debounce since <paramref name="seenAt"/> first saw them.</summary>
    bool HintsDue(ref long? seenAt)
    {
        if (_hints.Reader.Count == 0) return false;
        seenAt ??= Stopwatch.GetTimestamp();
        if (Stopwatch.GetElapsedTime(seenAt.Value) < _options.Debounce) return false;
        seenAt = null;
        return true;
    }

    /// <summary>Commits changes the readers claimed, then lets their executions be folded again.</summary>
    void WriteClaimed(List<IndexChange> batch)
    {
        try
        {
            Write(batch);
        }
        finally
        {
            foreach (var change in batch) _claimed.Release(change.Fid);
        }
    }

    /// <summary>
    /// Folds the executions hinted so far and commits them; a request for a full rescan is kept for after this
    /// pass. An execution a reader holds (read, not yet committed) is hinted again, to be folded once that
    /// commit shows it: two folds of one execution at once would both start from the same summary.
    /// </summary>
    void FoldHinted(CancellationToken stop)
    {
        var folders = new HashSet<ExecutionFolder>();
        var busy = new List<ExecutionFolder>();
        while (_hints.Reader.TryRead(out var folder))
        {
            if (folder is null) _rescanRequested = true;
            else if (folders.Contains(folder) || _claimed.TryClaim(folder.Fid)) folders.Add(folder);
            else busy.Add(folder);
        }
        foreach (var folder in busy)
            if (!_hints.Writer.TryWrite(folder)) _hintsDropped = true;
        try
        {
            Write([.. folders.AsParallel().WithCancellation(stop).Select(f => refresher.Refresh(f, catalog.Find(f.Fid), force: true)).OfType<IndexChange>()]);
        }
        finally
        {
            foreach (var folder in folders) _claimed.Release(folder.Fid);
        }
    }

    /// <summary>
    /// Commits a batch and only then shows it. A failed write (a full disk) leaves the catalog as it was,
    /// so the same executions look changed again at the next scan and are retried.
    /// </summary>
    void Write(IReadOnlyList<IndexChange> changes)
    {
        if (changes.Count == 0) return;
        // Planned against the summaries the catalog still holds, the ones these changes replace.
        var caused = alerts.PlanFor(changes, catalog.Find);
        if (!Write(() => store.Commit(changes, caused))) return;
        catalog.Apply(changes);
        if (caused.Count > 0) alerts.Written();
        // Which executions are live decides which ones the watcher watches.
        _watcher?.Track(changes);
        status.AddFolded(changes.Count(c => c is UpsertExecution { Restamp: false }));
        LookAgainIfRacy(changes);
        CompactAfterBulk(changes.Count);
    }

    /// <summary>
    /// A fold whose look saw a WAL written moments before may lack a commit SQLite was still publishing, and no file
    /// event follows the publication: the execution is hinted again a second later. Rescans read it too until its WAL
    /// settles (<see cref="FolderLook.WalSettled"/>), so a commit slower than that to publish waits at most a rescan.
    /// </summary>
    void LookAgainIfRacy(IReadOnlyList<IndexChange> changes)
    {
        foreach (var change in changes)
        {
            if (change is not UpsertExecution { Summary: var summary } || !FolderLook.IsRacy(summary.SourceStamp)) continue;
            lock (_lookingAgain)
                if (!_lookingAgain.Add(summary.Fid)) continue;
            var folder = new ExecutionFolder(_root, summary.UserId, summary.Fid);
            _ = Task.Delay(LookAgainAfter, time).ContinueWith(_ =>
            {
                lock (_lookingAgain) _lookingAgain.Remove(folder.Fid);
                if (!_hints.Writer.TryWrite(folder)) _hintsDropped = true;
            }, TaskScheduler.Default);
        }
    }

    /// <summary>
    /// A bulk pass (the first scan of 100,000 executions) leaves a fragmented heap: its changes live just long
    /// enough to reach gen 2 and the background GC only sweeps there. Compacting after every so many changes keeps
    /// the peak memory near what the catalog holds; a pause of a few hundred milliseconds per 25,000 folds.
    /// </summary>
    void CompactAfterBulk(int written)
    {
        _writtenSinceCompaction += written;
        if (_writtenSinceCompaction >= CompactEvery) Compact();
    }

    void Compact()
    {
        _writtenSinceCompaction = 0;
        System.Runtime.GCSettings.LargeObjectHeapCompactionMode = System.Runtime.GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
    }

    /// <summary>Runs a write to the index; a failure is reported and the index reopened. True when it succeeded.</summary>
    bool Write(Action write)
    {
        try
        {
            write();
            status.IndexWriteError = null;
        }
        catch (Exception e) when (e is LiteException or IOException or ObjectDisposedException)
        {
            var reason = store.DescribeFailure(e);
            if (status.IndexWriteError != reason) logger.LogError(e, "Cannot write the index {Path}", _options.IndexPath);
            status.IndexWriteError = reason;
            _writeFailures++;
            if (e is not IndexVolumeFullException) Reopen();
            return false;
        }
        return true;
    }

    /// <summary>
    /// An earlier commit may have been shown although its pages never reached the disk (LiteDB writes its log
    /// asynchronously): reopen the index and show again only what it holds, so no cursor stays ahead of the disk.
    /// </summary>
    void Reopen()
    {
        // LoadIndex may write (forgetting inconsistent entries); if that fails too, the next write retries.
        if (_reopening) return;
        _reopening = true;
        try
        {
            store.Reopen();
            if (store.RebuildReason is { } why)
            {
                status.Ready = false;
                status.Rebuilding = why;
            }
            LoadIndex();
        }
        catch (Exception e) when (e is LiteException or IOException)
        {
            logger.LogWarning("Cannot reopen the index {Path} yet: {Reason}", _options.IndexPath, e.Message);
        }
        finally
        {
            _reopening = false;
        }
    }

    /// <summary>
    /// A set under a lock rather than a concurrent dictionary: a rescan claims every folder it reads, and a node per
    /// claim was 5 MB of garbage per rescan of 100,000 executions.
    /// </summary>
    sealed class Claims
    {
        readonly HashSet<string> _fids = new(StringComparer.Ordinal);
        readonly Lock _gate = new();

        public bool TryClaim(string fid)
        {
            lock (_gate) return _fids.Add(fid);
        }

        public void Release(string fid)
        {
            lock (_gate) _fids.Remove(fid);
        }
    }
}
