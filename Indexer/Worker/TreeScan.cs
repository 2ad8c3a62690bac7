using System.Diagnostics;
using Kodosumi.Indexer.Platform;
using Kodosumi.Indexer.Sources;
using Kodosumi.Indexer.Store;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Kodosumi.Indexer.Worker;

/// <summary>
/// A walk of the whole tree: lists every execution folder, drops what is gone and folds what changed. The first one
/// committed whole makes the service ready.
/// </summary>
internal sealed class TreeScan(
    IOptions<IndexerOptions> options,
    ExecutionCatalog catalog,
    FoldPass pass,
    IndexWriter writer,
    FolderWatcher watcher,
    HintQueue hints,
    HeapCompactor heap,
    IndexerStatus status,
    TimeProvider time,
    ILogger<TreeScan> logger)
{
    readonly string _root = options.Value.ExecutionRoot;
    /// <summary>The folders the last scan listed, by fid: the next listing reuses their records.</summary>
    Dictionary<string, ExecutionFolder>? _listed;
    /// <summary>The listing before that one, cleared and refilled by the next scan, so a scan allocates no large dictionary.</summary>
    Dictionary<string, ExecutionFolder>? _spareListed;

    public void Run(CancellationToken stop)
    {
        var failuresBefore = writer.Failures;
        var clock = Stopwatch.StartNew();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        watcher.EnsureStarted();
        var known = catalog.Fids();
        var found = List(stop);
        writer.Write(Removed(known, found));
        pass.Run(found, PassKind.Rescan, stop);
        heap.ScanEnded();
        status.LastScanAt = time.GetUtcNow();
        status.LastScanDuration = clock.Elapsed;
        status.LastScanCpu = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        logger.LogDebug("Scanned {Count} executions in {Elapsed}", found.Count, clock.Elapsed);
        if (!status.Ready && writer.Failures == failuresBefore && !stop.IsCancellationRequested && writer.ProveWritten())
        {
            status.Ready = true;
            status.Rebuilding = null;
        }
        if (!stop.IsCancellationRequested) hints.PassEnded();
    }

    /// <summary>
    /// Lists the tree on a thread of its own (below requests once the service is ready); listing a large tree takes a
    /// while, and hints that arrive meanwhile are folded, not held.
    /// </summary>
    IReadOnlyList<ExecutionFolder> List(CancellationToken stop)
    {
        var previous = _listed;
        var background = status.Ready;
        var listing = Task.Factory.StartNew(() =>
        {
            if (background) BackgroundThread.YieldToOthers();
            return ExecutionFolders.Enumerate(_root, previous);
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        long? hintSeenAt = null;
        while (!listing.Wait(10, CancellationToken.None)) pass.FoldDueHints(ref hintSeenAt, stop);
        return listing.GetAwaiter().GetResult();
    }

    /// <summary>
    /// What the index held before the listing (<paramref name="known"/>) and the listing lacks. Only that can be
    /// missing from it: an execution a hint added meanwhile stays.
    /// </summary>
    List<IndexChange> Removed(IReadOnlyList<string> known, IReadOnlyList<ExecutionFolder> found)
    {
        var present = _spareListed ?? new Dictionary<string, ExecutionFolder>(found.Count, StringComparer.Ordinal);
        present.Clear();
        present.EnsureCapacity(found.Count);
        foreach (var folder in found) present[folder.Fid] = folder;
        (_listed, _spareListed) = (present, _listed);
        return [.. known.Where(fid => !present.ContainsKey(fid) && catalog.Find(fid) is not null)
            .Select(fid => (IndexChange)new RemoveExecution(fid))];
    }
}
