using System.Globalization;
using Kodosumi.Shared;

namespace Kodosumi.Indexer.Sources;

/// <summary>
/// What one look at an execution folder shows: its database (current name before the older one), and the
/// sizes and times that make up its stamp, the folder's own time first. A rescan compares the stamp without
/// allocating.
/// </summary>
public sealed class FolderLook
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
    /// <summary>The last stamp <see cref="HasStamp"/> found equal to this look's.</summary>
    string? _sameStamp;

    public required ExecutionFolder Folder { get; init; }

    public string Path => Folder.Path;

    /// <summary>The folder's own last-write time; it moves whenever an entry is added, removed or renamed.</summary>
    public required long FolderTicks { get; init; }

    /// <summary>When the look began; decides whether <see cref="FolderTicks"/> can be trusted yet.</summary>
    public required long LookedAtTicks { get; init; }

    /// <summary>
    /// True when every entry of interest was looked for (a stat of each name, or a listing); false when a stat of each
    /// entry the last stamp named was enough.
    /// </summary>
    internal bool Full { get; init; }

    bool FolderSettled => FolderTicks < LookedAtTicks - RacyWindow.Ticks;

    /// <summary>
    /// SQLite writes a commit's frames to the WAL, syncs it, and only then publishes the commit: a look in between sees
    /// the WAL grown, and a read right after it misses the commit, with nothing left to change the stamp once it is
    /// published. So a WAL written within the racy window is not trusted either: the stamp marks it with "~" and such a
    /// look is never taken as unchanged; the worker looks again (<see cref="IsRacy"/>).
    /// </summary>
    public bool WalSettled
    {
        get
        {
            var wal = DatabaseSlot + WalOffset;
            return !IsFile(wal) || _entries[wal].Ticks < LookedAtTicks - RacyWindow.Ticks;
        }
    }

    /// <summary>True for a stamp of a look whose WAL was not settled: what it read may lack a commit being published.</summary>
    public static bool IsRacy(string? stamp) => stamp is not null && stamp.Contains(UnsettledWal);

    const char UnsettledWal = '~';

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
    internal static FolderLook? Recheck(ExecutionFolder folder, string stamp, RootStats stats, long folderTicks, long lookedAt)
    {
        Span<Range> parts = stackalloc Range[6];
        var text = stamp.AsSpan();
        if (text.Split(parts, '|') != 5 || text[parts[0]] is "?") return null;
        var look = new FolderLook { Folder = folder, FolderTicks = folderTicks, LookedAtTicks = lookedAt };
        if (text[parts[1]] is not "-")
        {
            var db = look.Stat(folder, stats, Db, directory: false) ? Db : look.Stat(folder, stats, LegacyDb, directory: false) ? LegacyDb : -1;
            if (db < 0 || (text[parts[2]] is not "-" && !look.Stat(folder, stats, db + WalOffset, directory: false))) return null;
        }
        if (text[parts[3]] is not "-" && !look.Stat(folder, stats, Inputs, directory: true)) return null;
        if (text[parts[4]] is not "-" && !look.Stat(folder, stats, Outputs, directory: true)) return null;
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

    bool IsFile(int slot) => _entries[slot] is { Seen: true, IsDirectory: false };
    bool IsFolder(int slot) => _entries[slot] is { Seen: true, IsDirectory: true };

    int DatabaseSlot => IsFile(Db) || !IsFile(LegacyDb) ? Db : LegacyDb;

    /// <summary>The database's path, or null when the folder has none yet.</summary>
    public string? Database => IsFile(DatabaseSlot) ? System.IO.Path.Combine(Path, Names[DatabaseSlot]) : null;

    public bool HasInputs => IsFolder(Inputs);
    public bool HasOutputs => IsFolder(Outputs);

    /// <summary>"{folder}|{database}|{wal}|{in}|{out}"; the folder's part is "?" while its time is unsettled, the WAL's ends in "~".</summary>
    public string Stamp
    {
        get
        {
            Span<char> buffer = stackalloc char[192];
            return TryFormat(buffer, out var written) ? new string(buffer[..written]) : Format();
        }
    }

    /// <summary>
    /// True when <paramref name="stamp"/> is this look's stamp; allocates nothing. The stamp found equal is remembered:
    /// a rescan asks about the same stamp twice (the quick look confirms it, then the refresher), and formatting it is
    /// most of the comparison.
    /// </summary>
    public bool HasStamp(string? stamp)
    {
        if (stamp is null || !WalSettled) return false;
        if (ReferenceEquals(stamp, _sameStamp)) return true;
        Span<char> buffer = stackalloc char[192];
        var same = TryFormat(buffer, out var written) ? buffer[..written].SequenceEqual(stamp) : Format() == stamp;
        if (same) _sameStamp = stamp;
        return same;
    }

    /// <summary>
    /// True when <paramref name="stamp"/> names the same database, WAL, <c>in/</c> and <c>out/</c> as this look, whatever
    /// it says of the folder's own time (a stamp of an older build has no such part).
    /// </summary>
    public bool HasSameFiles(string? stamp)
    {
        if (stamp is null || !WalSettled) return false;
        Span<char> buffer = stackalloc char[192];
        var mine = TryFormat(buffer, out var written) ? buffer[..written] : Format().AsSpan();
        var files = mine[(mine.IndexOf('|') + 1)..];
        var theirs = stamp.AsSpan();
        return theirs.SequenceEqual(files) || (theirs.IndexOf('|') is var bar and >= 0 && theirs[(bar + 1)..].SequenceEqual(files));
    }

    bool TryFormat(Span<char> destination, out int written)
    {
        var db = DatabaseSlot;
        return destination.TryWrite(CultureInfo.InvariantCulture,
            $"{new SelfStamp(this)}|{new FileStamp(this, db)}|{new FileStamp(this, db + WalOffset)}|{new FolderStamp(this, Inputs)}|{new FolderStamp(this, Outputs)}",
            out written);
    }

    string Format()
    {
        var db = DatabaseSlot;
        return string.Create(CultureInfo.InvariantCulture,
            $"{new SelfStamp(this)}|{new FileStamp(this, db)}|{new FileStamp(this, db + WalOffset)}|{new FolderStamp(this, Inputs)}|{new FolderStamp(this, Outputs)}");
    }

    static bool Missing(Span<char> destination, out int written)
    {
        written = destination.IsEmpty ? 0 : 1;
        if (written == 1) destination[0] = '-';
        return written == 1;
    }

    /// <summary>One slot per name, inside the look: an idle rescan makes one look per execution.</summary>
    [System.Runtime.CompilerServices.InlineArray(6)]
    struct Entries
    {
        (bool Seen, bool IsDirectory, long Length, long Ticks) _first;
    }

    /// <summary>"{ticks}" of the folder itself, "?" while unsettled.</summary>
    readonly struct SelfStamp(FolderLook look) : ISpanFormattable
    {
        public bool TryFormat(Span<char> destination, out int written, ReadOnlySpan<char> format, IFormatProvider? provider)
        {
            if (look.FolderSettled) return look.FolderTicks.TryFormat(destination, out written, default, CultureInfo.InvariantCulture);
            written = destination.IsEmpty ? 0 : 1;
            if (written == 1) destination[0] = '?';
            return written == 1;
        }

        public string ToString(string? format, IFormatProvider? provider)
        {
            Span<char> buffer = stackalloc char[32];
            return TryFormat(buffer, out var written, default, provider) ? new string(buffer[..written]) : "";
        }
    }

    /// <summary>"{length}@{ticks}" of a regular file, "-" when there is none; an unsettled WAL's ends in "~".</summary>
    readonly struct FileStamp(FolderLook look, int slot) : ISpanFormattable
    {
        public bool TryFormat(Span<char> destination, out int written, ReadOnlySpan<char> format, IFormatProvider? provider)
        {
            if (!look.IsFile(slot)) return Missing(destination, out written);
            var (_, _, length, ticks) = look._entries[slot];
            return slot == look.DatabaseSlot + WalOffset && !look.WalSettled
                ? destination.TryWrite(CultureInfo.InvariantCulture, $"{length}@{ticks}{UnsettledWal}", out written)
                : destination.TryWrite(CultureInfo.InvariantCulture, $"{length}@{ticks}", out written);
        }

        public string ToString(string? format, IFormatProvider? provider)
        {
            Span<char> buffer = stackalloc char[64];
            return TryFormat(buffer, out var written, default, provider) ? new string(buffer[..written]) : "";
        }
    }

    /// <summary>"{ticks}" of a folder, "-" when there is none.</summary>
    readonly struct FolderStamp(FolderLook look, int slot) : ISpanFormattable
    {
        public bool TryFormat(Span<char> destination, out int written, ReadOnlySpan<char> format, IFormatProvider? provider)
        {
            if (!look.IsFolder(slot)) return Missing(destination, out written);
            return look._entries[slot].Ticks.TryFormat(destination, out written, default, CultureInfo.InvariantCulture);
        }

        public string ToString(string? format, IFormatProvider? provider)
        {
            Span<char> buffer = stackalloc char[32];
            return TryFormat(buffer, out var written, default, provider) ? new string(buffer[..written]) : "";
        }
    }
}
