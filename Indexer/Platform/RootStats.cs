using System.Runtime.InteropServices;
using System.Text;
using Kodosumi.Indexer.Sources;

namespace Kodosumi.Indexer.Platform;

/// <summary>An entry's type, size and last-write time, as one stat(2) gives them.</summary>
internal readonly record struct EntryStat(bool IsDirectory, bool IsFile, long Length, long Ticks);

/// <summary>
/// Stats entries below the execution root relative to an open handle of it (statx(2) with a directory descriptor).
/// A rescan of an idle tree is a few stats per execution; a path walk from "/" for each of them, and .NET's own
/// path handling, cost more than the stats themselves. Linux only: elsewhere every look lists its folder.
/// </summary>
internal sealed class RootStats : IDisposable
{
    // O_DIRECTORY differs between x86 and Arm; O_CLOEXEC does not.
    static readonly int ReadOnlyDirectory = (RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm ? 0x4000 : 0x10000) | 0x80000;
    const int NoFollow = 0x100; // AT_SYMLINK_NOFOLLOW: the entry itself, as a listing sees it
    const uint TypeSizeTime = 0x1 /* STATX_TYPE */ | 0x40 /* STATX_MTIME */ | 0x200 /* STATX_SIZE */;
    const int TypeMask = 0xF000, Directory = 0x4000, RegularFile = 0x8000;
    const int NoSuchEntry = 2 /* ENOENT */, NotADirectory = 20 /* ENOTDIR */;

    int _fd;

    RootStats(int fd) => _fd = fd;

    /// <summary>Null off Linux or when the root cannot be opened; looks then list each folder.</summary>
    public static RootStats? Open(string root)
    {
        if (!OperatingSystem.IsLinux()) return null;
        var fd = open(root, ReadOnlyDirectory);
        return fd < 0 ? null : new RootStats(fd);
    }

    /// <summary>Stats <c>{user}/{fid}</c>, or <c>{user}/{fid}/{name}</c>, below the root. False if it cannot (gone, say).</summary>
    public bool TryStat(ExecutionFolder folder, string? name, out EntryStat stat) => Stat(folder, name, out stat) == StatResult.Found;

    /// <summary>Found; Missing when there is no such entry; Failed for any other error (no permission, say).</summary>
    public StatResult Stat(ExecutionFolder folder, string? name, out EntryStat stat)
    {
        stat = default;
        var length = Encoding.UTF8.GetMaxByteCount(folder.UserId.Length + folder.Fid.Length + (name?.Length ?? 0) + 3);
        if (length > 4096) return StatResult.Failed;
        Span<byte> path = stackalloc byte[length];
        var at = Encoding.UTF8.GetBytes(folder.UserId, path);
        path[at++] = (byte)'/';
        at += Encoding.UTF8.GetBytes(folder.Fid, path[at..]);
        if (name is not null)
        {
            path[at++] = (byte)'/';
            at += Encoding.UTF8.GetBytes(name, path[at..]);
        }
        path[at] = 0;
        if (statx(_fd, ref path[0], NoFollow, TypeSizeTime, out var buffer) != 0)
            return Marshal.GetLastPInvokeError() is NoSuchEntry or NotADirectory ? StatResult.Missing : StatResult.Failed;
        var type = buffer.Mode & TypeMask;
        stat = new EntryStat(type == Directory, type == RegularFile, (long)buffer.Size,
            DateTime.UnixEpoch.Ticks + buffer.MtimeSeconds * TimeSpan.TicksPerSecond + buffer.MtimeNanoseconds / 100);
        return StatResult.Found;
    }

    public void Dispose()
    {
        if (_fd < 0) return;
        close(_fd);
        _fd = -1;
    }

    /// <summary>The fields of <c>struct statx</c> used here; its layout is the same on every architecture.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 256)]
    struct Statx
    {
        [FieldOffset(28)] public ushort Mode;
        [FieldOffset(40)] public ulong Size;
        [FieldOffset(112)] public long MtimeSeconds;
        [FieldOffset(120)] public uint MtimeNanoseconds;
    }

    [DllImport("libc")]
    static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", SetLastError = true)]
    static extern int statx(int dirfd, ref byte path, int flags, uint mask, out Statx buffer);

    [DllImport("libc")]
    static extern int close(int fd);
}

/// <summary>What a stat below the root found: the entry, no such entry, or an error that a listing should report.</summary>
internal enum StatResult { Found, Missing, Failed }
