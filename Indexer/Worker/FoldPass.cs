using System.Collections.Concurrent;
using System.Diagnostics;
using Kodosumi.Indexer.Platform;
using Kodosumi.Indexer.Sources;
using Kodosumi.Indexer.Store;
using Microsoft.Extensions.Options;

namespace Kodosumi.Indexer.Worker;

/// <summary>Why a pass folds its executions, which decides how.</summary>
internal enum PassKind
{
    /// <summary>A scan: only executions whose files look changed are read, on threads below requests; due hints go first.</summary>
    Rescan,
    /// <summary>A watcher said these changed: each is read, at normal priority.</summary>
    Hinted,
}

/// <summary>
/// The one way executions are folded, for scans and hints alike: a few parallel readers bring summaries up to date
/// and feed the calling thread, which writes them in large transactions (a commit costs a flush to disk). During a
/// scan, hints that arrive are folded between two commits, so a fresh write never waits for the whole pass. A stop
/// request ends the work between two commits.
/// </summary>
internal sealed class FoldPass(
    IOptions<IndexerOptions> options,
    ExecutionRefresher refresher,
    ExecutionCatalog catalog,
    IndexWriter writer,
    HintQueue hints,
    IndexerStatus status)
{
    /// <summary>Changes per transaction while a pass folds many executions.</summary>
    const int CommitSize = 4096;
    /// <summary>The longest a folded change waits for its commit during a long pass.</summary>
    static readonly TimeSpan MaxCommitDelay = TimeSpan.FromSeconds(1);

    readonly string _root = options.Value.ExecutionRoot;
    // Up to two readers per core, as a reader waits on the disk part of the time; once ready, a rescan's readers yield to requests.
    readonly int _readers = Math.Min(options.Value.ReadParallelism, 2 * Environment.ProcessorCount);
    /// <summary>Executions being read, until their change is committed: two folds of one execution at once would both start from the same summary.</summary>
    readonly Claims _claimed = new();

    public void Run(IReadOnlyList<ExecutionFolder> folders, PassKind kind, CancellationToken stop)
    {
        if (folders.Count == 0) return;
        using var read = new BlockingCollection<IndexChange>(boundedCapacity: CommitSize);
        var readers = StartReaders(folders, kind, read, stop);

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
                if (kind != PassKind.Rescan || !hints.Due(ref hintSeenAt)) continue;
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
        readers.GetAwaiter().GetResult();
    }

    /// <summary>Folds the executions hinted so far, unless their debounce is still running.</summary>
    public void FoldDueHints(ref long? hintSeenAt, CancellationToken stop)
    {
        if (hints.Due(ref hintSeenAt)) FoldHinted(stop);
    }

    void FoldHinted(CancellationToken stop) => Run([.. hints.TakeFoldsDuringPass()], PassKind.Hinted, stop);

    /// <summary>
    /// Readers on threads of their own: a pass of many unchanged folders keeps them busy for seconds, and on pool
    /// threads they would hold back the requests and hinted folds that need the pool meanwhile.
    /// </summary>
    Task StartReaders(IReadOnlyList<ExecutionFolder> folders, PassKind kind, BlockingCollection<IndexChange> read, CancellationToken stop)
    {
        var next = -1;
        var running = Math.Min(_readers, folders.Count);
        var force = kind == PassKind.Hinted;
        var background = kind == PassKind.Rescan && status.Ready;
        var stats = RootStats.Open(_root);
        var started = Enumerable.Range(0, running).Select(_ => Task.Factory.StartNew(() =>
        {
            if (background) BackgroundThread.YieldToOthers();
            try
            {
                for (int i; (i = Interlocked.Increment(ref next)) < folders.Count && !stop.IsCancellationRequested;)
                {
                    var folder = folders[i];
                    if (!_claimed.TryClaim(folder.Fid))
                    {
                        // Read meanwhile by another pass: a scan leaves it to that fold, a hint must see it again after that commit.
                        if (force) hints.Fold(folder);
                        continue;
                    }
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
        var all = Task.WhenAll(started);
        // Closed once no reader can use it, even if this pass ends early.
        all.ContinueWith(_ => stats?.Dispose(), TaskScheduler.Default);
        return all;
    }

    /// <summary>Commits changes the readers claimed, then lets their executions be folded again.</summary>
    void WriteClaimed(List<IndexChange> batch)
    {
        try
        {
            writer.Write(batch);
        }
        finally
        {
            foreach (var change in batch) _claimed.Release(change.Fid);
        }
    }

    /// <summary>A set under a lock rather than a concurrent dictionary: a rescan claims every folder it reads, and a node per claim is garbage.</summary>
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
