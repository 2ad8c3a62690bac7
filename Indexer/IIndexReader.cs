using Kodosumi.Indexer.Platform;
using Kodosumi.Indexer.Sources;
using Kodosumi.Indexer.Store;
using Kodosumi.Shared.Model;

namespace Kodosumi.Indexer;

/// <summary>
/// The indexer's read side, the one door the API, health and metrics use: the catalog at its current version, what
/// changes announce, how the indexer is doing, and an execution's own events and files. Everything else of the
/// indexer is internal to it.
/// </summary>
public interface IIndexReader
{
    /// <summary>Every execution and error event at the current version, sorted for the dashboard's queries.</summary>
    CatalogSnapshot Snapshot();

    /// <summary>Grows with every committed change; ETags derive from it.</summary>
    long Version { get; }

    /// <summary>The version of the last change to <paramref name="userId"/>'s executions: what that user may learn.</summary>
    long VersionOf(string userId);

    ExecutionSummary? Find(string fid);

    /// <summary>What committed changes announce, in order: the live stream, the stall watch and the lag metric listen.</summary>
    IndexEvents Events { get; }

    /// <summary>True once the first full scan after start is committed; until then answers would be wrong.</summary>
    bool Ready { get; }

    /// <summary>How the indexer is doing, read from counters kept current: cheap enough for every probe.</summary>
    IndexState State();

    /// <summary>Alerts not yet delivered, and when the oldest was written (Unix seconds).</summary>
    (int Count, double? OldestCreatedAt) PendingAlerts();

    /// <summary>An error event's whole message; a long one is read from the index.</summary>
    string ErrorMessage(ErrorRef error);

    /// <summary>Events of an execution's own database, ordered by time then id, from <paramref name="offset"/>.</summary>
    EventsPage ReadEvents(ExecutionSummary execution, int offset, int? limit);

    /// <summary>The regular files in the execution's <c>in/</c> or <c>out/</c>.</summary>
    IReadOnlyList<ExecutionFile> Files(ExecutionSummary execution, string folder);

    /// <summary>One regular file in the execution's <c>in/</c> or <c>out/</c>, opened; null if the path leads anywhere else.</summary>
    OpenedFile? OpenFile(ExecutionSummary execution, string folder, string relativePath);
}

/// <summary>The indexer at one moment: readiness, scans, the watcher, index writes and what the catalog counts.</summary>
public sealed record IndexState(
    bool Ready,
    string? Rebuilding,
    DateTimeOffset? LastScanAt,
    TimeSpan? LastScanDuration,
    TimeSpan? LastScanCpu,
    string WatcherState,
    bool WatcherHealthy,
    int WatchedFolders,
    string? IndexWriteError,
    long FoldedSinceStart,
    int Indexed,
    int WithProblems,
    int Quarantined);

/// <summary>A page of an execution's events, or why they cannot be read (<see cref="Problem"/>).</summary>
public sealed record EventsPage(long Total, IReadOnlyList<MonitorEvent> Events, string? Problem);
