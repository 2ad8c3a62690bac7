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

    /// <summary>The load of the index leaves its chunks' garbage between the catalog's objects: compacted once, before the scan.</summary>
    public void Loaded() => Compact();

    void Compact()
    {
        _writtenSinceCompaction = 0;
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
    }
}
