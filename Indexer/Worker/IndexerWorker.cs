using Kodosumi.Indexer.Store;
using Kodosumi.Indexer.Users;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Kodosumi.Indexer.Worker;

/// <summary>
/// Keeps the index equal to the execution folders: a full scan at start, then the watcher's hints (debounced, per
/// execution) and those of the fast look at live executions it cannot watch, a periodic rescan for whatever they
/// missed, and a periodic look at the users. Everything runs on
/// this one loop, so the index has a single writer.
/// </summary>
internal sealed class IndexerWorker(
    IOptions<IndexerOptions> options,
    ExecutionCatalog catalog,
    IndexWriter writer,
    TreeScan scan,
    FoldPass pass,
    HintQueue hints,
    FolderWatcher watcher,
    UnwatchedLook unwatched,
    UserDirectory users,
    TimeProvider time,
    IHostApplicationLifetime lifetime,
    ILogger<IndexerWorker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken hostStopping)
    {
        // The host cancels a background service only when it reaches it in its stop order, after the web server
        // drained; stopping on the first signal commits sooner and leaves more of the grace period.
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(hostStopping, lifetime.ApplicationStopping);
        var stop = linked.Token;
        await Task.Yield();
        // Watching first, then the listing and the load side by side: whatever changes after the listing is hinted.
        watcher.EnsureStarted();
        scan.ListAhead();
        writer.Load();
        logger.LogInformation("Index holds {Count} executions; scanning {Root}", catalog.Count, options.Value.ExecutionRoot);
        users.ReloadIfChanged();
        watcher.Track(catalog.Snapshot().NewestFirst);
        scan.Run(stop);
        unwatched.Start();

        using var rescanTimer = new PeriodicTimer(options.Value.RescanInterval, time);
        using var usersTimer = new PeriodicTimer(options.Value.UsersReloadInterval, time);
        var rescanDue = rescanTimer.WaitForNextTickAsync(stop).AsTask();
        var usersDue = usersTimer.WaitForNextTickAsync(stop).AsTask();
        try
        {
            while (!stop.IsCancellationRequested)
            {
                var hinted = hints.WaitAsync(stop);
                await Task.WhenAny(hinted, rescanDue, usersDue);
                // A due tick goes first, so a steady stream of hints can never starve the rescan.
                if (rescanDue.IsCompleted)
                {
                    await rescanDue;
                    rescanDue = rescanTimer.WaitForNextTickAsync(stop).AsTask();
                    scan.Run(stop);
                }
                else if (usersDue.IsCompleted)
                {
                    await usersDue;
                    usersDue = usersTimer.WaitForNextTickAsync(stop).AsTask();
                    users.ReloadIfChanged();
                }
                else
                {
                    await hinted;
                    await hints.SettleAsync(stop);
                    Fold(hints.Take(), stop);
                }
                await writer.BackOffWhileUnwritable(stop);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    /// <summary>A full scan covers every hinted execution whose files changed.</summary>
    void Fold(HintBatch batch, CancellationToken stop)
    {
        if (batch.RescanAll) scan.Run(stop);
        else pass.Run([.. batch.Folders], PassKind.Hinted, stop);
    }
}
