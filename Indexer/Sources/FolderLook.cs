using System.Globalization;
using Kodosumi.Shared;

namespace Kodosumi.Indexer.Sources;

/// <summary>
/// What one listing of an execution folder shows: its database (current name before the older one),
/// and the sizes and times that make up its stamp. A rescan compares the stamp without allocating.
/// </summary>
public sealed class FolderLook
{
    static readonly string[] Names =
    [
        ExecutionLayout.Database, ExecutionLayout.Database + "-wal",
        ExecutionLayout.LegacyDatabase, ExecutionLayout.LegacyDatabase + "-wal",
        ExecutionLayout.Inputs, ExecutionLayout.Outputs,
    ];
    const int Db = 0, LegacyDb = 2, WalOffset = 1, Inputs = 4, Outputs = 5;

    readonly (bool Seen, bool IsDirectory, long Length, long Ticks)[] _entries = new (bool, bool, long, long)[Names.Length];

    public required string Path { get; init; }

    /// <summary>The slot of a file name this look cares about, or -1.</summary>
    public static int SlotOf(ReadOnlySpan<char> name)
    {
        for (var i = 0; i < Names.Length; i++)
            if (name.SequenceEqual(Names[i])) return i;
        return -1;
    }

    internal void Set(int slot, bool isDirectory, long length, long ticks) => _entries[slot] = (true, isDirectory, length, ticks);

    bool IsFile(int slot) => _entries[slot] is { Seen: true, IsDirectory: false };
    bool IsFolder(int slot) => _entries[slot] is { Seen: true, IsDirectory: true };

    int DatabaseSlot => IsFile(Db) || !IsFile(LegacyDb) ? Db : LegacyDb;

    /// <summary>The database's path, or null when the folder has none yet.</summary>
    public string? Database => IsFile(DatabaseSlot) ? System.IO.Path.Combine(Path, Names[DatabaseSlot]) : null;

    public bool HasInputs => IsFolder(Inputs);
    public bool HasOutputs => IsFolder(Outputs);

    /// <summary>Same text as before this type existed, so stamps stored in an index stay comparable.</summary>
    public string Stamp
    {
        get
        {
            Span<char> buffer = stackalloc char[160];
            return TryFormat(buffer, out var written) ? new string(buffer[..written]) : Format();
        }
    }

    /// <summary>True when <paramref name="stamp"/> is this look's stamp; allocates nothing.</summary>
    public bool HasStamp(string? stamp)
    {
        if (stamp is null) return false;
        Span<char> buffer = stackalloc char[160];
        return TryFormat(buffer, out var written) ? buffer[..written].SequenceEqual(stamp) : Format() == stamp;
    }

    bool TryFormat(Span<char> destination, out int written)
    {
        var db = DatabaseSlot;
        return destination.TryWrite(CultureInfo.InvariantCulture,
            $"{new FileStamp(this, db)}|{new FileStamp(this, db + WalOffset)}|{new FolderStamp(this, Inputs)}|{new FolderStamp(this, Outputs)}",
            out written);
    }

    string Format()
    {
        var db = DatabaseSlot;
        return string.Create(CultureInfo.InvariantCulture,
            $"{new FileStamp(this, db)}|{new FileStamp(this, db + WalOffset)}|{new FolderStamp(this, Inputs)}|{new FolderStamp(this, Outputs)}");
    }

    static bool Missing(Span<char> destination, out int written)
    {
        written = destination.IsEmpty ? 0 : 1;
        if (written == 1) destination[0] = '-';
        return written == 1;
    }

    /// <summary>"{length}@{ticks}" of a regular file, "-" when there is none.</summary>
    readonly struct FileStamp(FolderLook look, int slot) : ISpanFormattable
    {
        public bool TryFormat(Span<char> destination, out int written, ReadOnlySpan<char> format, IFormatProvider? provider)
        {
            if (!look.IsFile(slot)) return Missing(destination, out written);
            var (_, _, length, ticks) = look._entries[slot];
            return destination.TryWrite(CultureInfo.InvariantCulture, $"{length}@{ticks}", out written);
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
