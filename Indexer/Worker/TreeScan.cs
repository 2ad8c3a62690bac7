using System.Diagnostics;
using Kodosumi.Indexer.Platform;
using Kodosumi.Indexer.Sources;
using Kodosumi.Indexer.Store;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Kodosumi.Indexer.Worker;

/// <summary>
/// A walk of the tree: refreshes its listing (<see cref="ExecutionTree"/>: only user folders that changed are listed
/// again), drops what is gone, and folds what changed among the executions the tiers choose (<see cref="RescanTiers"/>).
/// The first scan, and the first after a failed write, looks at every execution: files may have changed while the
/// service was down, or a fold may not have reached the index. At start, the executions whose stored stamps the load's
/// check found unchanged (<see cref="StoredStampCheck"/>) count as looked at. The first scan committed whole makes the service ready.
/// </summary>
internal sealed class TreeScan(
    IOptions<IndexerOptions> options,
    ExecutionCatalog catalog,
    FoldPass pass,
    RescanTiers tiers,
    StoredStampCheck check,
    IndexWriter writer,
    FolderWatcher watcher,
    HintQueue hints,
    HeapCompactor heap,
    IndexerStatus status,
    TimeProvider time,
    ILogger<TreeScan> logger)
{
    readonly ExecutionTree _tree = new(options.Value.ExecutionRoot, options.Value.SettledLookInterval);
    /// <summary>The writer's failures when a scan last looked at every execution and wrote all it found; null before that.</summary>
    int? _lookedAtAllWithFailures;

    public void Run(CancellationToken stop)
    {
        var failuresBefore = writer.Failures;
        var clock = Stopwatch.StartNew();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        watcher.EnsureStarted();
        var known = catalog.Fids();
        var relisted = List(stop);
        var everything = _lookedAtAllWithFailures != failuresBefore;
        writer.Write(Removed(known, relisted, everything));
        var chosen = everything && check.TakeUnverified() is { } unverified
            ? tiers.ChooseUnverified(_tree.Folders, unverified)
            : tiers.Choose(_tree.Folders, everything);
        // An empty index is written in key order, so that a restart reads its documents page after page.
        if (catalog.Count == 0) chosen.Sort((a, b) => string.CompareOrdinal(a.Fid, b.Fid));
        pass.Run(chosen, PassKind.Rescan, stop);
        heap.ScanEnded();
        status.LastScanAt = time.GetUtcNow();
        status.LastScanDuration = clock.Elapsed;
        status.LastScanCpu = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        logger.LogDebug("Scanned {Count} of {Listed} executions in {Elapsed}", chosen.Count, _tree.Count, clock.Elapsed);
        var whole = writer.Failures == failuresBefore && !stop.IsCancellationRequested;
        if (everything && whole) _lookedAtAllWithFailures = failuresBefore;
        if (!status.Ready && whole && writer.ProveWritten())
        {
            catalog.KeepOrders();
            status.Ready = true;
            status.Rebuilding = null;
        }
        if (!stop.IsCancellationRequested) hints.PassEnded();
    }

    /// <summary>
    /// Refreshes the listing on a thread of its own (below requests once the service is ready); listing a large tree
    /// takes a while, and hints that arrive meanwhile are folded, not held. True when a user folder was listed again or is gone.
    /// </summary>
    bool List(CancellationToken stop)
    {
        var background = status.Ready;
        var listing = Task.Factory.StartNew(() =>
        {
            if (background) BackgroundThread.YieldToOthers();
            return _tree.Refresh();
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        long? hintSeenAt = null;
        while (!listing.Wait(10, CancellationToken.None)) pass.FoldDueHints(ref hintSeenAt, stop);
        return listing.GetAwaiter().GetResult();
    }

    /// <summary>
    /// What the index held before the listing (<paramref name="known"/>) and the listing lacks. Only that can be
    /// missing from it: an execution a hint added meanwhile stays. Nothing can be missing when no user folder was
    /// listed again and the index holds as many executions as the listing.
    /// </summary>
    List<IndexChange> Removed(IReadOnlyList<string> known, bool relisted, bool everything)
    {
        if (!everything && !relisted && catalog.Count == _tree.Count) return [];
        return [.. known.Where(fid => catalog.Find(fid) is { } summary && !_tree.Contains(fid, summary.UserId))
            .Select(fid => (IndexChange)new RemoveExecution(fid))];
    }
}
