using Kodosumi.Indexer.Platform;
using Kodosumi.Shared;
using Kodosumi.Shared.Model;

namespace Kodosumi.Indexer.Sources;

/// <summary>
/// What one look at an execution folder shows: its database (current name before the older one), and the
/// sizes and times that make up its stamp, the folder's own time first. A value, and a rescan compares the
/// stamp without allocating: an idle rescan of 100,000 folders allocates nothing per folder, so it sets off no
/// collection that would pause the requests answered meanwhile.
/// </summary>
internal struct FolderLook
{
    /// <summary>
    /// A folder changed this recently may change again within the same tick of the file system's clock without its
    /// time moving, so its time is not trusted yet: the stamp says "?" for it and the next look lists the folder.
    /// </summary>
    internal static readonly TimeSpan RacyWindow = TimeSpan.FromSeconds(5);

    static readonly string[] Names =
    [
        ExecutionLayout.Database, ExecutionLayout.Database + "-wal",
        ExecutionLayout.LegacyDatabase, ExecutionLayout.LegacyDatabase + "-wal",
        ExecutionLayout.Inputs, ExecutionLayout.Outputs,
    ];
    const int Db = 0, LegacyDb = 2, WalOffset = 1, Inputs = 4, Outputs = 5;

    Entries _entries;

    public required ExecutionFolder Folder { get; init; }

    public readonly string Path => Folder.Path;

    /// <summary>The folder's own last-write time; it moves whenever an entry is added, removed or renamed.</summary>
    public required long FolderTicks { get; init; }

    /// <summary>When the look began; decides whether <see cref="FolderTicks"/> can be trusted yet.</summary>
    public required long LookedAtTicks { get; init; }

    /// <summary>
    /// True when every entry of interest was looked for (a stat of each name, or a listing); false when a stat of each
    /// entry the last stamp named was enough.
    /// </summary>
    internal bool Full { get; init; }

    readonly bool FolderSettled => FolderTicks < LookedAtTicks - RacyWindow.Ticks;

    /// <summary>
    /// SQLite writes a commit's frames to the WAL, syncs it, and only then publishes the commit: a look in between sees
    /// the WAL grown, and a read right after it misses the commit, with nothing left to change the stamp once it is
    /// published. So a WAL written within the racy window is not trusted either: the stamp marks it with "~" and such a
    /// look is never taken as unchanged; the worker looks again (<see cref="IsRacy"/>).
    /// </summary>
    public readonly bool WalSettled
    {
        get
        {
            var wal = DatabaseSlot + WalOffset;
            return !IsFile(wal) || _entries[wal].Ticks < LookedAtTicks - RacyWindow.Ticks;
        }
    }

    /// <summary>True for a stamp of a look whose WAL was not settled: what it read may lack a commit being published.</summary>
    public static bool IsRacy(SourceStamp? stamp) => stamp is { WalUnsettled: true };

    /// <summary>The slot of a file name this look cares about, or -1.</summary>
    public static int SlotOf(ReadOnlySpan<char> name)
    {
        for (var i = 0; i < Names.Length; i++)
            if (name.SequenceEqual(Names[i])) return i;
        return -1;
    }

    internal void Set(int slot, bool isDirectory, long length, long ticks) => _entries[slot] = (true, isDirectory, length, ticks);

    /// <summary>
    /// What a stamp says about a folder whose time has not moved since: the entries it names are still there (an
    /// entry added, removed or renamed moves the folder's time), so a stat of each of them is the whole look.
    /// Null when the stamp cannot say (an unsettled folder time, another format), or an entry it names is gone.
    /// </summary>
    internal static FolderLook? Recheck(ExecutionFolder folder, SourceStamp stamp, RootStats stats, long folderTicks, long lookedAt)
    {
        if (!stamp.FolderSettled) return null;
        var look = new FolderLook { Folder = folder, FolderTicks = folderTicks, LookedAtTicks = lookedAt };
        if (stamp.HasDatabase)
        {
            var db = look.Stat(folder, stats, Db, directory: false) ? Db : look.Stat(folder, stats, LegacyDb, directory: false) ? LegacyDb : -1;
            if (db < 0 || (stamp.HasWal && !look.Stat(folder, stats, db + WalOffset, directory: false))) return null;
        }
        if (stamp.HasInputs && !look.Stat(folder, stats, Inputs, directory: true)) return null;
        if (stamp.HasOutputs && !look.Stat(folder, stats, Outputs, directory: true)) return null;
        return look;
    }

    bool Stat(ExecutionFolder folder, RootStats stats, int slot, bool directory)
    {
        if (!stats.TryStat(folder, Names[slot], out var entry) || (directory ? !entry.IsDirectory : !entry.IsFile)) return false;
        Set(slot, entry.IsDirectory, entry.Length, entry.Ticks);
        return true;
    }

    /// <summary>
    /// A full look without a listing: a stat of each name the stamp is made of (the database, its older name only when
    /// the current one is no file, that database's WAL, <c>in/</c> and <c>out/</c>). It finds what a listing finds, in
    /// half the system calls. Null when an entry is neither a file nor a folder (a symbolic link, say) or cannot be
    /// stat'ed: a listing decides those, as it always did.
    /// </summary>
    internal static FolderLook? StatEach(ExecutionFolder folder, RootStats stats, long folderTicks, long lookedAt)
    {
        var look = new FolderLook { Folder = folder, FolderTicks = folderTicks, LookedAtTicks = lookedAt, Full = true };
        if (!look.TryStat(folder, stats, Db) || (!look.IsFile(Db) && !look.TryStat(folder, stats, LegacyDb))) return null;
        return look.TryStat(folder, stats, look.DatabaseSlot + WalOffset) && look.TryStat(folder, stats, Inputs)
            && look.TryStat(folder, stats, Outputs) ? look : null;
    }

    /// <summary>Records the entry of <paramref name="slot"/> if there is one; false when it is of another type or cannot be stat'ed.</summary>
    bool TryStat(ExecutionFolder folder, RootStats stats, int slot)
    {
        switch (stats.Stat(folder, Names[slot], out var entry))
        {
            case StatResult.Missing:
                return true;
            case StatResult.Found when entry.IsFile || entry.IsDirectory:
                Set(slot, entry.IsDirectory, entry.Length, entry.Ticks);
                return true;
            default:
                return false;
        }
    }

    readonly bool IsFile(int slot) => _entries[slot] is { Seen: true, IsDirectory: false };
    readonly bool IsFolder(int slot) => _entries[slot] is { Seen: true, IsDirectory: true };

    readonly int DatabaseSlot => IsFile(Db) || !IsFile(LegacyDb) ? Db : LegacyDb;

    /// <summary>The database's path, or null when the folder has none yet.</summary>
    public readonly string? Database => IsFile(DatabaseSlot) ? System.IO.Path.Combine(Path, Names[DatabaseSlot]) : null;

    public readonly bool HasInputs => IsFolder(Inputs);
    public readonly bool HasOutputs => IsFolder(Outputs);

    /// <summary>The look's stamp; the folder's time is <see cref="SourceStamp.None"/> while it is unsettled.</summary>
    public readonly SourceStamp Stamp
    {
        get
        {
            var db = DatabaseSlot;
            var wal = db + WalOffset;
            return new SourceStamp
            {
                FolderTicks = FolderSettled ? FolderTicks : SourceStamp.None,
                DatabaseLength = IsFile(db) ? _entries[db].Length : SourceStamp.None,
                DatabaseTicks = IsFile(db) ? _entries[db].Ticks : SourceStamp.None,
                WalLength = IsFile(wal) ? _entries[wal].Length : SourceStamp.None,
                WalTicks = IsFile(wal) ? _entries[wal].Ticks : SourceStamp.None,
                WalUnsettled = !WalSettled,
                InputsTicks = IsFolder(Inputs) ? _entries[Inputs].Ticks : SourceStamp.None,
                OutputsTicks = IsFolder(Outputs) ? _entries[Outputs].Ticks : SourceStamp.None,
            };
        }
    }

    /// <summary>True when <paramref name="stamp"/> is this look's stamp, and the look's WAL is settled.</summary>
    public readonly bool HasStamp(SourceStamp? stamp) => WalSettled && stamp == Stamp;

    /// <summary>
    /// True when <paramref name="stamp"/> names the same database, WAL, <c>in/</c> and <c>out/</c> as this look, whatever
    /// it says of the folder's own time (a stamp of an older build has no such part).
    /// </summary>
    public readonly bool HasSameFiles(SourceStamp? stamp) => WalSettled && stamp is { } other && other.HasSameFiles(Stamp);

    /// <summary>One slot per name, inside the look: an idle rescan makes one look per execution.</summary>
    [System.Runtime.CompilerServices.InlineArray(6)]
    struct Entries
    {
        (bool Seen, bool IsDirectory, long Length, long Ticks) _first;
    }
}
