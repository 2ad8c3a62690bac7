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
    /// <summary>A listing started before the scan (at start, beside the load of the index); the next scan takes it.</summary>
    Task? _listingAhead;

    /// <summary>
    /// Starts the first scan's listing now, at start, so that it runs beside the load of the index. The watcher should
    /// run already: what appears after the listing is then hinted.
    /// </summary>
    public void ListAhead() => _listingAhead ??= StartListing(background: false);

    public void Run(CancellationToken stop)
    {
        var failuresBefore = writer.Failures;
        var clock = Stopwatch.StartNew();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        watcher.EnsureStarted();
        var known = catalog.Fids();
        List(stop);
        var everything = _lookedAtAllWithFailures != failuresBefore;
        var choice = everything && check.TakeUnverified() is { } unverified
            ? tiers.ChooseUnverified(_tree.Folders, unverified)
            : tiers.Choose(_tree.Folders, everything);
        if (choice.IndexedAsListed < catalog.Count) writer.Write(Removed(known));
        var chosen = choice.Chosen;
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
    /// takes a while, and hints that arrive meanwhile are folded, not held.
    /// </summary>
    void List(CancellationToken stop)
    {
        var listing = _listingAhead ?? StartListing(background: status.Ready);
        _listingAhead = null;
        long? hintSeenAt = null;
        while (!listing.Wait(10, CancellationToken.None)) pass.FoldDueHints(ref hintSeenAt, stop);
        listing.GetAwaiter().GetResult();
    }

    Task StartListing(bool background) => Task.Factory.StartNew(() =>
    {
        if (background) BackgroundThread.YieldToOthers();
        _tree.Refresh();
    }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <summary>
    /// What the index held before the listing (<paramref name="known"/>) and the listing lacks. Only that can be
    /// missing from it: an execution a hint added meanwhile stays. Looked for only when the listing lacks an indexed execution.
    /// </summary>
    List<IndexChange> Removed(IReadOnlyList<string> known) =>
        [.. known.Where(fid => catalog.Find(fid) is { } summary && !_tree.Contains(fid, summary.UserId))
            .Select(fid => (IndexChange)new RemoveExecution(fid))];
}
