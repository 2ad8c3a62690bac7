using System.IO.Enumeration;
using System.Runtime.InteropServices;
using Kodosumi.Indexer.Sources;
using Microsoft.Win32.SafeHandles;

namespace Kodosumi.Indexer.Platform;

/// <summary>A file opened by <see cref="RegularFiles.OpenRead"/>: its stream, name and size as the open handle shows them.</summary>
public sealed record OpenedFile(FileStream Stream, string Name, long Length);

/// <summary>
/// The files of an execution's <c>in/</c> or <c>out/</c>, read as a writer of the data directory cannot turn
/// against the service: only regular files with one link (a hard link could name a file elsewhere), never
/// through a symbolic link (<c>in/</c> and <c>out/</c> themselves included: each step is an <c>openat</c> with
/// <c>O_NOFOLLOW</c> from the handle of the step before), and never an open that blocks (a FIFO, a device:
/// <c>O_NONBLOCK</c>, then <c>statx</c> on the handle decides). Linux only; elsewhere there are no files.
/// </summary>
internal static class RegularFiles
{
    const int MaxDepth = 32;

    /// <summary>Regular files below <c>{executionDir}/{folder}</c>, sub-folders included, by relative path.</summary>
    public static List<ExecutionFile> List(string executionDir, string folder)
    {
        var files = new List<ExecutionFile>();
        using var dir = OpenFolder(executionDir, folder);
        if (dir is not null) Walk(dir, "", files, 0);
        files.Sort((a, b) => string.CompareOrdinal(a.RelativePath, b.RelativePath));
        return files;
    }

    /// <summary>How many files <see cref="List"/> would list.</summary>
    public static int Count(string executionDir, string folder) => List(executionDir, folder).Count;

    /// <summary>
    /// The regular file at <paramref name="relativePath"/> (parts joined by '/') below <c>{executionDir}/{folder}</c>,
    /// opened for reading; null when the path is empty, climbs or has a backslash or NUL, when any step is a link or not a
    /// folder, or the file is not a regular file of one link.
    /// </summary>
    public static OpenedFile? OpenRead(string executionDir, string folder, string relativePath)
    {
        // A backslash is refused rather than read as a name's character: a client may mean it as a separator.
        if (relativePath.Contains('\\')) return null;
        var parts = relativePath.Split('/');
        if (parts.Any(p => p is "" or "." or ".." || p.Contains('\0'))) return null;
        var dir = OpenFolder(executionDir, folder);
        try
        {
            foreach (var part in parts[..^1])
            {
                if (dir is null) return null;
                var sub = Native.OpenAt(dir, part, Native.ReadOnly | Native.Directory | Native.NoFollow);
                dir.Dispose();
                dir = sub;
            }
            if (dir is null) return null;
            var file = Native.OpenAt(dir, parts[^1], Native.ReadOnly | Native.NoFollow | Native.NonBlocking | Native.NoControllingTerminal);
            if (file is null) return null;
            if (!Native.StatHandle(file, out var stat) || !stat.IsRegular || stat.Links != 1)
            {
                file.Dispose();
                return null;
            }
            return new OpenedFile(new FileStream(file, FileAccess.Read, bufferSize: 0), parts[^1], stat.Size);
        }
        finally
        {
            dir?.Dispose();
        }
    }

    static SafeFileHandle? OpenFolder(string executionDir, string folder)
    {
        if (!OperatingSystem.IsLinux()) return null;
        using var execution = Native.Open(executionDir, Native.ReadOnly | Native.Directory);
        return execution is null ? null : Native.OpenAt(execution, folder, Native.ReadOnly | Native.Directory | Native.NoFollow);
    }

    static void Walk(SafeFileHandle dir, string prefix, List<ExecutionFile> files, int depth)
    {
        if (depth > MaxDepth) return;
        foreach (var name in Native.Names(dir))
        {
            if (!Native.StatAt(dir, name, out var stat)) continue;
            if (stat.IsDirectory)
            {
                using var sub = Native.OpenAt(dir, name, Native.ReadOnly | Native.Directory | Native.NoFollow);
                if (sub is not null) Walk(sub, prefix + name + "/", files, depth + 1);
            }
            else if (stat.IsRegular && stat.Links == 1)
            {
                files.Add(new ExecutionFile(name, prefix + name, stat.Size));
            }
        }
    }

    /// <summary>What <c>statx</c> says of an entry, without following it.</summary>
    readonly record struct EntryInfo(bool IsRegular, bool IsDirectory, uint Links, long Size);

    static class Native
    {
        public const int ReadOnly = 0, NonBlocking = 0x800, NoControllingTerminal = 0x100, CloseOnExec = 0x80000;
        // These two differ between architectures: ARM's values, else x86's (and most others').
        static readonly bool Arm = RuntimeInformation.ProcessArchitecture is Architecture.Arm or Architecture.Arm64;
        public static readonly int Directory = Arm ? 0x4000 : 0x10000;
        public static readonly int NoFollow = Arm ? 0x8000 : 0x20000;
        const int AtSymlinkNoFollow = 0x100, AtEmptyPath = 0x1000;
        const uint TypeLinksSize = 0x1 /* STATX_TYPE */ | 0x4 /* STATX_NLINK */ | 0x200 /* STATX_SIZE */;
        const int TypeMask = 0xF000, DirectoryType = 0x4000, RegularType = 0x8000;

        public static SafeFileHandle? Open(string path, int flags)
        {
            var fd = open(path, flags | CloseOnExec);
            return fd < 0 ? null : new SafeFileHandle((IntPtr)fd, ownsHandle: true);
        }

        public static SafeFileHandle? OpenAt(SafeFileHandle dir, string name, int flags)
        {
            var fd = openat(dir, name, flags | CloseOnExec);
            return fd < 0 ? null : new SafeFileHandle((IntPtr)fd, ownsHandle: true);
        }

        public static bool StatAt(SafeFileHandle dir, string name, out EntryInfo info) => Stat(dir, name, AtSymlinkNoFollow, out info);

        public static bool StatHandle(SafeFileHandle file, out EntryInfo info) => Stat(file, "", AtEmptyPath, out info);

        static bool Stat(SafeFileHandle at, string name, int flags, out EntryInfo info)
        {
            info = default;
            if (statx(at, name, flags, TypeLinksSize, out var buffer) != 0) return false;
            var type = buffer.Mode & TypeMask;
            info = new EntryInfo(type == RegularType, type == DirectoryType, buffer.Links, (long)buffer.Size);
            return true;
        }

        /// <summary>The names in an open folder, listed through its handle (not its path, which may have been swapped since).</summary>
        public static List<string> Names(SafeFileHandle dir)
        {
            try
            {
                return [.. new FileSystemEnumerable<string>($"/proc/self/fd/{dir.DangerousGetHandle()}",
                    (ref FileSystemEntry entry) => entry.FileName.ToString(), AllEntries)];
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return [];
            }
        }

        static readonly EnumerationOptions AllEntries = new() { AttributesToSkip = 0, IgnoreInaccessible = false };

        /// <summary>The fields of <c>struct statx</c> used here; its layout is the same on every architecture.</summary>
        [StructLayout(LayoutKind.Explicit, Size = 256)]
        struct Statx
        {
            [FieldOffset(16)] public uint Links;
            [FieldOffset(28)] public ushort Mode;
            [FieldOffset(40)] public ulong Size;
        }

        [DllImport("libc", SetLastError = true)]
        static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

        [DllImport("libc", SetLastError = true)]
        static extern int openat(SafeFileHandle dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

        [DllImport("libc", SetLastError = true)]
        static extern int statx(SafeFileHandle dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, out Statx buffer);
    }
}
