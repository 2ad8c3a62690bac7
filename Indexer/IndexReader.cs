using Kodosumi.Indexer.Platform;
using Kodosumi.Indexer.Sources;
using Kodosumi.Indexer.Store;
using Kodosumi.Indexer.Worker;
using Kodosumi.Shared;
using Kodosumi.Shared.Model;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace Kodosumi.Indexer;

sealed class IndexReader(ExecutionCatalog catalog, IndexStore store, IndexerStatus status, IOptions<IndexerOptions> options) : IIndexReader
{
    readonly string _root = options.Value.ExecutionRoot;

    public CatalogSnapshot Snapshot() => catalog.Snapshot();

    public long Version => catalog.Version;

    public long VersionOf(string userId) => catalog.VersionOf(userId);

    public ExecutionSummary? Find(string fid) => catalog.Find(fid);

    public IndexEvents Events => catalog.Events;

    public bool Ready => status.Ready;

    public IndexState State() => new(
        status.Ready, status.Rebuilding, status.LastScanAt, status.LastScanDuration, status.LastScanCpu,
        status.WatcherState, status.WatcherHealthy, status.WatchedFolders, status.IndexWriteError, status.FoldedSinceStart,
        catalog.Count, catalog.WithProblemsCount, catalog.QuarantinedCount);

    public (int Count, double? OldestCreatedAt) PendingAlerts() => store.OutboxState();

    public string ErrorMessage(ErrorRef error) => error.ShortMessage ?? store.FindError(error.Key)?.Message ?? "";

    public EventsPage ReadEvents(ExecutionSummary execution, int offset, int? limit)
    {
        if (ExecutionLayout.FindDatabase(FolderOf(execution)) is not { } database) return new(0, [], "no database yet");
        try
        {
            var (total, events) = ExecutionDatabase.ReadEvents(database, offset, limit);
            return new(total, events, null);
        }
        catch (Exception e) when (e is SqliteException or SourceProblemException or IOException)
        {
            return new(0, [], e.Message);
        }
    }

    public IReadOnlyList<ExecutionFile> Files(ExecutionSummary execution, string folder) =>
        [.. ExecutionFolders.ListFiles(Path.Combine(FolderOf(execution), folder))];

    public OpenedFile? OpenFile(ExecutionSummary execution, string folder, string relativePath) =>
        RegularFiles.OpenRead(FolderOf(execution), folder, relativePath);

    string FolderOf(ExecutionSummary execution) => Path.Combine(_root, execution.UserId, execution.Fid);
}
