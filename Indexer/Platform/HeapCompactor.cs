using System.Runtime;

namespace Kodosumi.Indexer.Platform;

/// <summary>
/// A bulk pass (the cold index) leaves a fragmented heap: its changes live just long enough to reach gen 2, where the
/// background GC only sweeps. Compacting after every so many written changes keeps the peak memory near what the
/// catalog holds, for a short pause each time.
/// </summary>
internal sealed class HeapCompactor
{
    /// <summary>Changes between two compactions during a pass, and the fewest a finished scan compacts after.</summary>
    const int CompactEvery = 25_000, CompactAfterScan = 5_000;

    int _writtenSinceCompaction;

    public void Written(int changes)
    {
        _writtenSinceCompaction += changes;
        if (_writtenSinceCompaction >= CompactEvery) Compact();
    }

    /// <summary>The rest of a bulk scan (the cold index's last thousands) is compacted before the service opens.</summary>
    public void ScanEnded()
    {
        if (_writtenSinceCompaction >= CompactAfterScan) Compact();
    }

    /// <summary>
    /// For the load of the index, which makes a million objects that live as long as the process: the background GC's
    /// collections of a heap growing under it cost more than blocking ones. At the end, the garbage of the load, left
    /// between the catalog's objects, is compacted once, before the scan.
    /// </summary>
    public IDisposable BulkLoad()
    {
        var before = GCSettings.LatencyMode;
        GCSettings.LatencyMode = GCLatencyMode.Batch;
        return new Restore(() =>
        {
            GCSettings.LatencyMode = before;
            Compact();
        });
    }

    sealed class Restore(Action restore) : IDisposable
    {
        public void Dispose() => restore();
    }

    void Compact()
    {
        _writtenSinceCompaction = 0;
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
    }
}
