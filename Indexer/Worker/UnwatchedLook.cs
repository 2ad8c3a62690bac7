using System.Diagnostics;
using Kodosumi.Indexer.Platform;
using Kodosumi.Indexer.Sources;
using Kodosumi.Indexer.Store;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Kodosumi.Indexer.Worker;

/// <summary>
/// The fast tier for live executions the watcher cannot watch (past the inotify watch limit, or while it is down):
/// their stamps are compared with the index's every <see cref="IndexerOptions.UnwatchedLookInterval"/>, a few
/// <c>statx</c> each, and a changed one is hinted. A run waiting days for a person's answer is then as fresh as a
/// watched one, without waiting for the periodic rescan. With many such executions the look spaces itself out, so it
/// takes at most <see cref="CpuShare"/> of one core.
/// </summary>
internal sealed class UnwatchedLook(
    IOptions<IndexerOptions> options,
    FolderWatcher watcher,
    ExecutionCatalog catalog,
    HintQueue hints,
    TimeProvider time,
    ILogger<UnwatchedLook> logger) : IDisposable
{
    const double CpuShare = 0.02;

    readonly string _root = options.Value.ExecutionRoot;
    readonly TimeSpan _interval = options.Value.UnwatchedLookInterval;
    readonly Lock _gate = new();
    ITimer? _timer;
    bool _disposed, _failing;

    public void Start()
    {
        lock (_gate)
        {
            if (_disposed || _timer is not null) return;
            _timer = time.CreateTimer(_ => Look(), null, _interval, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>Looks once, then schedules the next look after the interval, or after long enough to keep the CPU share.</summary>
    void Look()
    {
        var took = Stopwatch.StartNew();
        try
        {
            var folders = watcher.UnwatchedLive();
            if (folders.Count == 0) return;
            using var stats = RootStats.Open(_root);
            foreach (var folder in folders)
                if (Changed(folder, stats)) hints.Fold(folder);
            _failing = false;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A timer's callback must not throw; the periodic rescan still covers these executions. Said once per failure.
            if (!_failing) logger.LogWarning(e, "Looking at executions the watcher cannot watch failed; trying again");
            _failing = true;
        }
        finally
        {
            var next = TimeSpan.FromTicks(Math.Max(_interval.Ticks, (long)(took.Elapsed.Ticks / CpuShare)));
            lock (_gate)
                if (!_disposed) _timer?.Change(next, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>True when the folder no longer has the stamp of its last fold (or has none in the index yet).</summary>
    bool Changed(ExecutionFolder folder, RootStats? stats)
    {
        var indexed = catalog.Find(folder.Fid)?.SourceStamp;
        try
        {
            return ExecutionFolders.Look(folder, indexed, stats) is not { } look || !look.HasStamp(indexed);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A fold says why, once.
            return true;
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _timer?.Dispose();
        }
    }
}
