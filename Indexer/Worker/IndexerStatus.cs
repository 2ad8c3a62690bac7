namespace Kodosumi.Indexer.Worker;

/// <summary>What the indexer reports to the health checks. Written by the worker, read by requests.</summary>
internal sealed class IndexerStatus
{
    long _foldedSinceStart;

    /// <summary>True once the first full scan after start has been committed.</summary>
    public bool Ready { get; set; }
    /// <summary>Why the index is being rebuilt from the sources; null once it is ready, or when it was reused.</summary>
    public string? Rebuilding { get; set; }
    public DateTimeOffset? LastScanAt { get; set; }
    public TimeSpan? LastScanDuration { get; set; }
    /// <summary>CPU time the process spent during the last full scan (all threads): an idle rescan's cost.</summary>
    public TimeSpan? LastScanCpu { get; set; }
    /// <summary>"watching", "starting", "rescans only: …" when the watcher is unavailable.</summary>
    public string WatcherState { get; set; } = "starting";
    public bool WatcherHealthy { get; set; }
    /// <summary>Folders with a watcher of their own: the root, user folders and live executions (each with everything below it).</summary>
    public int WatchedFolders { get; set; }
    /// <summary>The last failure to write the index, or null while writes succeed.</summary>
    public string? IndexWriteError { get; set; }
    public long FoldedSinceStart => Interlocked.Read(ref _foldedSinceStart);

    public void AddFolded(int count) => Interlocked.Add(ref _foldedSinceStart, count);
}
