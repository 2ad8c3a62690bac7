using System.Globalization;

namespace Kodosumi.Shared.Model;

/// <summary>
/// The sizes and times of an execution folder's entries when it was last folded: the folder's own time, its database,
/// that database's WAL, <c>in/</c> and <c>out/</c>. A rescan compares it with a new look and refolds when they differ.
/// Held as numbers, smaller than its text and compared without formatting; stored as text: <c>{folder}|{database}|{wal}|{in}|{out}</c>.
/// </summary>
public readonly record struct SourceStamp
{
    /// <summary>For an entry there is none of; for <see cref="FolderTicks"/>, a folder time not trusted yet ("?").</summary>
    public const long None = -1;
    /// <summary><see cref="FolderTicks"/> of a stamp an older build wrote, which had no folder part.</summary>
    public const long NoFolderPart = -2;

    public long FolderTicks { get; init; }
    public long DatabaseLength { get; init; }
    public long DatabaseTicks { get; init; }
    public long WalLength { get; init; }
    public long WalTicks { get; init; }
    /// <summary>The WAL was written too recently to trust that what was read holds every commit it has ("~").</summary>
    public bool WalUnsettled { get; init; }
    public long InputsTicks { get; init; }
    public long OutputsTicks { get; init; }

    public bool FolderSettled => FolderTicks >= 0;
    public bool HasDatabase => DatabaseLength != None;
    public bool HasWal => WalLength != None;
    public bool HasInputs => InputsTicks != None;
    public bool HasOutputs => OutputsTicks != None;

    /// <summary>True when both name the same database, WAL, <c>in/</c> and <c>out/</c>, whatever they say of the folder's own time.</summary>
    public bool HasSameFiles(SourceStamp other) => this with { FolderTicks = 0 } == other with { FolderTicks = 0 };

    /// <summary>Seven numbers of at most 20 characters and at most seven separators and marks: 147, always less.</summary>
    const int MaxLength = 192;

    public override string ToString()
    {
        Span<char> buffer = stackalloc char[MaxLength];
        var length = 0;
        if (FolderTicks != NoFolderPart)
        {
            if (FolderSettled) Append(buffer, ref length, FolderTicks);
            else buffer[length++] = '?';
            buffer[length++] = '|';
        }
        AppendFile(buffer, ref length, DatabaseLength, DatabaseTicks, unsettled: false);
        buffer[length++] = '|';
        AppendFile(buffer, ref length, WalLength, WalTicks, WalUnsettled);
        buffer[length++] = '|';
        AppendFolder(buffer, ref length, InputsTicks);
        buffer[length++] = '|';
        AppendFolder(buffer, ref length, OutputsTicks);
        return new string(buffer[..length]);
    }

    /// <summary>"{length}@{ticks}" of a file, "-" when there is none; an unsettled WAL's ends in "~".</summary>
    static void AppendFile(Span<char> buffer, ref int length, long fileLength, long ticks, bool unsettled)
    {
        if (fileLength == None)
        {
            buffer[length++] = '-';
            return;
        }
        Append(buffer, ref length, fileLength);
        buffer[length++] = '@';
        Append(buffer, ref length, ticks);
        if (unsettled) buffer[length++] = '~';
    }

    static void AppendFolder(Span<char> buffer, ref int length, long ticks)
    {
        if (ticks == None) buffer[length++] = '-';
        else Append(buffer, ref length, ticks);
    }

    static void Append(Span<char> buffer, ref int length, long value)
    {
        value.TryFormat(buffer[length..], out var written, default, CultureInfo.InvariantCulture);
        length += written;
    }

    /// <summary>A stamp from its text (of this build or an older one without the folder part); null for anything else.</summary>
    public static SourceStamp? Parse(string? text)
    {
        if (text is null) return null;
        var span = text.AsSpan();
        Span<Range> parts = stackalloc Range[6];
        var count = span.Split(parts, '|');
        if (count is not (4 or 5)) return null;
        var at = count - 4;
        long folder = NoFolderPart;
        if (count == 5 && !TryFolderTicks(span[parts[0]], out folder)) return null;
        if (!TryFile(span[parts[at]], out var dbLength, out var dbTicks, out var dbUnsettled) || dbUnsettled
            || !TryFile(span[parts[at + 1]], out var walLength, out var walTicks, out var walUnsettled)
            || !TryFolder(span[parts[at + 2]], out var inputs) || !TryFolder(span[parts[at + 3]], out var outputs))
            return null;
        return new SourceStamp
        {
            FolderTicks = folder,
            DatabaseLength = dbLength, DatabaseTicks = dbTicks,
            WalLength = walLength, WalTicks = walTicks, WalUnsettled = walUnsettled,
            InputsTicks = inputs, OutputsTicks = outputs,
        };
    }

    static bool TryFolderTicks(ReadOnlySpan<char> part, out long ticks)
    {
        ticks = None;
        return part is "?" || TryNumber(part, out ticks);
    }

    static bool TryFile(ReadOnlySpan<char> part, out long length, out long ticks, out bool unsettled)
    {
        (length, ticks, unsettled) = (None, None, false);
        if (part is "-") return true;
        unsettled = part.EndsWith('~');
        if (unsettled) part = part[..^1];
        var at = part.IndexOf('@');
        return at > 0 && TryNumber(part[..at], out length) && TryNumber(part[(at + 1)..], out ticks);
    }

    static bool TryFolder(ReadOnlySpan<char> part, out long ticks)
    {
        ticks = None;
        return part is "-" || TryNumber(part, out ticks);
    }

    static bool TryNumber(ReadOnlySpan<char> text, out long value) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
}
