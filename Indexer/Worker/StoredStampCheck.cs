using System.Collections.Concurrent;
using Kodosumi.Indexer.Platform;
using Kodosumi.Indexer.Sources;
using Kodosumi.Shared.Model;
using Microsoft.Extensions.Options;

namespace Kodosumi.Indexer.Worker;

/// <summary>
/// At start, compares each settled execution's stored stamp with its files while the index is still being loaded: a
/// stat per entry, no database opened, on threads beside the load's. The first scan then looks only at what this check
/// could not vouch for (a changed stamp, a live or hot execution), at executions the index lacks, and at those it
/// forgot. A live execution is watched here, beside the load, and left to the first scan, which looks at it after its
/// watch exists.
/// </summary>
internal sealed class StoredStampCheck(IOptions<IndexerOptions> options, FolderWatcher watcher, TimeProvider time)
{
    readonly string _root = options.Value.ExecutionRoot;
    readonly TimeSpan _quietFor = options.Value.WatchFinishedFor;
    readonly int _threads = Math.Min(options.Value.ReadParallelism, Environment.ProcessorCount);
    readonly ConcurrentBag<string> _unverified = [];
    BlockingCollection<ExecutionSummary>? _loaded;
    Task? _checking;

    /// <summary>
    /// Starts the check, on the first load only: returns what takes each summary the load keeps, to be checked beside it;
    /// null on a later load.
    /// </summary>
    public Action<ExecutionSummary>? Start()
    {
        if (_checking is not null) return null;
        // Unbounded: it holds summaries the catalog keeps anyway, so the load never waits for the disk.
        var loaded = _loaded = new BlockingCollection<ExecutionSummary>(new ConcurrentQueue<ExecutionSummary>());
        var stats = RootStats.Open(_root);
        var now = time.GetUtcNow();
        // Compared with file times, which the system clock stamps.
        var quietSince = DateTime.UtcNow.Ticks - _quietFor.Ticks;
        _checking = Task.WhenAll(Enumerable.Range(0, _threads).Select(_ => Task.Factory.StartNew(
            () => Check(loaded, stats, now, quietSince), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)));
        _checking.ContinueWith(_ => stats?.Dispose(), TaskScheduler.Default);
        return loaded.Add;
    }

    void Check(BlockingCollection<ExecutionSummary> loaded, RootStats? stats, DateTimeOffset now, long quietSince)
    {
        foreach (var summary in loaded.GetConsumingEnumerable())
        {
            var live = FolderWatcher.WatchUntil(summary) >= now;
            if (live) watcher.Track([summary]);
            if (live || !Unchanged(summary, stats, quietSince)) _unverified.Add(summary.Fid);
        }
    }

    /// <summary>Settled, and its files still have the stored stamp.</summary>
    bool Unchanged(ExecutionSummary summary, RootStats? stats, long quietSince)
    {
        if (stats is null || !RescanTiers.IsSettled(summary, summary.UserId, quietSince)) return false;
        try
        {
            return ExecutionFolders.Look(new ExecutionFolder(_root, summary.UserId, summary.Fid), summary.SourceStamp, stats) is { } look
                && look.HasStamp(summary.SourceStamp);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>
    /// After the load: the fids of loaded executions the check could not vouch for, once; null when no check ran, it
    /// failed, or it was already taken: then every execution needs a look.
    /// </summary>
    public IReadOnlySet<string>? TakeUnverified()
    {
        if (_checking is null || _loaded is null) return null;
        // The load ended (or failed) before the first scan: nothing more is added.
        _loaded.CompleteAdding();
        var loaded = _loaded;
        _loaded = null;
        try
        {
            _checking.Wait();
        }
        catch (AggregateException)
        {
            // A check that stopped early vouched for too little to tell: the first scan looks at everything.
            return null;
        }
        finally
        {
            loaded.Dispose();
        }
        return _unverified.ToHashSet(StringComparer.Ordinal);
    }
}
