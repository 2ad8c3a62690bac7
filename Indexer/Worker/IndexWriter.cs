using Kodosumi.Indexer.Alerts;
using Kodosumi.Indexer.Platform;
using Kodosumi.Indexer.Sources;
using Kodosumi.Indexer.Store;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Kodosumi.Indexer.Worker;

/// <summary>
/// The index's single writer: commits a batch with the alerts it causes, then shows it (catalog, watcher, status),
/// reopens the index after a failed write and backs off while it stays unwritable.
/// </summary>
internal sealed class IndexWriter(
    IOptions<IndexerOptions> options,
    IndexStore store,
    ExecutionCatalog catalog,
    AlertOutbox alerts,
    FolderWatcher watcher,
    HintQueue hints,
    IndexerStatus status,
    HeapCompactor heap,
    StoredStampCheck check,
    TimeProvider time,
    ILogger<IndexWriter> logger)
{
    static readonly TimeSpan MinBackoff = TimeSpan.FromSeconds(1), MaxBackoff = TimeSpan.FromSeconds(30);

    readonly string _root = options.Value.ExecutionRoot;
    bool _reopening;
    TimeSpan _backoff = MinBackoff;

    /// <summary>Failed writes since start; a scan during which one failed does not make the service ready.</summary>
    public int Failures { get; private set; }

    /// <summary>
    /// Shows what the index holds (at start, and after a reopen), streamed into the catalog. Executions whose stored
    /// errors disagree with their summary are forgotten in the index too (<see cref="ConsistentLoad"/>).
    /// </summary>
    public void Load()
    {
        List<IndexChange> forgotten = [];
        var checking = check.Start();
        using (heap.BulkLoad())
        {
            store.Load(stored =>
            {
                var load = new ConsistentLoad(stored);
                catalog.Load(load.Summaries(), load.Errors(), checking);
                forgotten = [.. load.Forgotten().Select(fid => new RemoveExecution(fid))];
            });
        }
        if (store.RebuildReason is { } why)
        {
            status.Ready = false;
            status.Rebuilding = why;
        }
        if (forgotten.Count == 0) return;
        logger.LogWarning("{Count} executions in the index disagree with their stored errors; folding them again", forgotten.Count);
        Write(forgotten);
    }

    /// <summary>
    /// Commits a batch and only then shows it. A failed write (a full disk) leaves the catalog as it was, so the same
    /// executions look changed again at the next scan and are retried. True when it was written.
    /// </summary>
    public bool Write(IReadOnlyList<IndexChange> changes)
    {
        if (changes.Count == 0) return true;
        // Planned against the summaries the catalog still holds, the ones these changes replace.
        var caused = alerts.PlanFor(changes, catalog.Find);
        if (!Try(() => store.Commit(changes, caused))) return false;
        catalog.Apply(changes);
        if (caused.Count > 0) alerts.Written();
        // Which executions are live decides which ones the watcher watches.
        watcher.Track(changes);
        status.AddFolded(changes.Count(c => c is UpsertExecution { Restamp: false }));
        LookAgainIfRacy(changes);
        heap.Written(changes.Count);
        return true;
    }

    /// <summary>
    /// The last large commit of a pass may have returned before LiteDB's background writer failed: proves it reached
    /// the disk (before the API opens on it).
    /// </summary>
    public bool ProveWritten() => Try(store.ProveWritten);

    /// <summary>
    /// While the index cannot be written (a full disk) each try re-reads what changed; waiting longer after each
    /// failure (doubling up to a maximum) keeps that from spinning. Hints wait in their queue meanwhile.
    /// </summary>
    public async Task BackOffWhileUnwritable(CancellationToken stop)
    {
        if (status.IndexWriteError is null)
        {
            _backoff = MinBackoff;
            return;
        }
        await Task.Delay(_backoff, time, stop);
        _backoff = TimeSpan.FromTicks(Math.Min(_backoff.Ticks * 2, MaxBackoff.Ticks));
    }

    /// <summary>
    /// A fold whose look saw a WAL written moments before may lack a commit SQLite was still publishing, and no file
    /// event follows the publication: the execution is hinted again shortly. Rescans read it too until its WAL
    /// settles (<see cref="FolderLook.WalSettled"/>), so a commit slower than that to publish waits at most a rescan.
    /// </summary>
    void LookAgainIfRacy(IReadOnlyList<IndexChange> changes)
    {
        foreach (var change in changes)
            if (change is UpsertExecution { Summary: var summary } && FolderLook.IsRacy(summary.SourceStamp))
                hints.LookAgainSoon(new ExecutionFolder(_root, summary.UserId, summary.Fid));
    }

    bool Try(Action write)
    {
        try
        {
            write();
            status.IndexWriteError = null;
            return true;
        }
        catch (IndexStoreException e)
        {
            if (status.IndexWriteError != e.Message) logger.LogError(e, "Cannot write the index {Path}", options.Value.IndexPath);
            status.IndexWriteError = e.Message;
            Failures++;
            if (!e.NothingWritten) Reopen();
            return false;
        }
    }

    /// <summary>
    /// An earlier commit may have been shown although its pages never reached the disk (LiteDB writes its log
    /// asynchronously): reopen the index and show again only what it holds, so no cursor stays ahead of the disk.
    /// </summary>
    void Reopen()
    {
        // Load may write (forgetting inconsistent entries); if that fails too, the next write retries.
        if (_reopening) return;
        _reopening = true;
        try
        {
            store.Reopen();
            Load();
        }
        catch (IndexStoreException e)
        {
            logger.LogWarning("Cannot reopen the index {Path} yet: {Reason}", options.Value.IndexPath, e.Message);
        }
        finally
        {
            _reopening = false;
        }
    }
}
