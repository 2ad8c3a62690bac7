using Kodosumi.Indexer.Sources;
using Kodosumi.Indexer.Store;
using Kodosumi.Shared.Model;
using Microsoft.Extensions.Options;

namespace Kodosumi.Indexer.Worker;

/// <summary>
/// Which executions a rescan looks at. Hot ones (a problem or a quarantine, changed within
/// <see cref="IndexerOptions.WatchFinishedFor"/>, a folder or WAL time not trusted yet, not indexed yet) at every rescan.
/// Settled ones (read cleanly, their files quiet since) in rotating slices: each has a fixed point in every
/// <see cref="IndexerOptions.SettledLookInterval"/>, and the first rescan after that point looks at it. A look that
/// finds a change folds it as any other. An unfinished execution, however quiet, is never left to the slices alone:
/// the watcher watches it, or the fast look (<see cref="UnwatchedLook"/>) looks at it.
/// </summary>
internal sealed class RescanTiers(IOptions<IndexerOptions> options, ExecutionCatalog catalog, TimeProvider time)
{
    readonly long _interval = options.Value.SettledLookInterval.Ticks;
    readonly TimeSpan _quietFor = options.Value.WatchFinishedFor;
    /// <summary>When the last choice was made: the slice of a rescan runs from there to now.</summary>
    long? _lastChoice;

    /// <summary>The executions of <paramref name="listed"/> this rescan looks at: all of them when <paramref name="everything"/>.</summary>
    public RescanChoice Choose(IEnumerable<ExecutionFolder> listed, bool everything)
    {
        var now = time.GetUtcNow().UtcTicks;
        var slice = new Slice(everything ? null : _lastChoice, now, _interval);
        _lastChoice = now;
        // Compared with file times, which the system clock stamps.
        var quietSince = DateTime.UtcNow.Ticks - _quietFor.Ticks;
        var choice = new RescanChoice();
        foreach (var folder in listed)
        {
            var summary = catalog.Find(folder.Fid);
            choice.Listed(folder, summary);
            if (!IsSettled(summary, folder.UserId, quietSince) || slice.Holds(PointOf(folder.Fid, _interval))) choice.Chosen.Add(folder);
        }
        return choice;
    }

    /// <summary>
    /// The first scan's choice after <see cref="StoredStampCheck"/> vouched for the other loaded executions: those it
    /// could not, and every execution the index lacks or holds under another user. Settled ones are next due at their points.
    /// </summary>
    public RescanChoice ChooseUnverified(IEnumerable<ExecutionFolder> listed, IReadOnlySet<string> unverified)
    {
        _lastChoice = time.GetUtcNow().UtcTicks;
        var choice = new RescanChoice();
        foreach (var folder in listed)
        {
            var summary = catalog.Find(folder.Fid);
            choice.Listed(folder, summary);
            if (summary is null || summary.UserId != folder.UserId || unverified.Contains(folder.Fid)) choice.Chosen.Add(folder);
        }
        return choice;
    }

    /// <summary>
    /// Read cleanly, indexed under this user, and every time in its stamp trusted and older than
    /// <paramref name="quietSinceTicks"/>: a finished run's late change (a file added to <c>out/</c>, say), or a quiet
    /// unfinished run, which the watcher or the fast look covers.
    /// </summary>
    internal static bool IsSettled(ExecutionSummary? summary, string userId, long quietSinceTicks) =>
        summary is { Problem: null, Quarantine: null, SourceStamp: { FolderSettled: true, WalUnsettled: false } stamp }
        && summary.UserId == userId
        && Math.Max(Math.Max(stamp.FolderTicks, stamp.DatabaseTicks), Math.Max(stamp.WalTicks, Math.Max(stamp.InputsTicks, stamp.OutputsTicks))) < quietSinceTicks;

    /// <summary>Where in each interval an execution is due: spread evenly by its fid, the same in every process.</summary>
    internal static long PointOf(string fid, long intervalTicks)
    {
        // FNV-1a: string.GetHashCode differs between processes, and a restart would move every point.
        var hash = 14695981039346656037UL;
        foreach (var c in fid) hash = (hash ^ c) * 1099511628211UL;
        return (long)(hash % (ulong)intervalTicks);
    }

    /// <summary>The points of the interval passed since <c>from</c> (exclusive) up to <c>to</c>; every point without <c>from</c>, or when a whole interval passed.</summary>
    internal readonly record struct Slice(long? From, long To, long IntervalTicks)
    {
        public bool Holds(long point)
        {
            if (From is not { } from || To - from >= IntervalTicks) return true;
            var (start, end) = (from % IntervalTicks, To % IntervalTicks);
            return start <= end ? point > start && point <= end : point > start || point <= end;
        }
    }
}

/// <summary>
/// The executions a rescan looks at, and how many indexed executions its listing holds where the index has them: when
/// that is all of them, none is gone, and the rescan need not look for removals.
/// </summary>
internal sealed class RescanChoice
{
    public List<ExecutionFolder> Chosen { get; } = [];

    /// <summary>Listed executions the index holds under the user they were listed for.</summary>
    public int IndexedAsListed { get; private set; }

    /// <summary>Counts a listed <paramref name="folder"/> whose summary in the index is <paramref name="indexed"/>.</summary>
    public void Listed(ExecutionFolder folder, ExecutionSummary? indexed)
    {
        if (indexed is not null && indexed.UserId == folder.UserId) IndexedAsListed++;
    }
}
