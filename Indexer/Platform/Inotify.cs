using System.Runtime.InteropServices;
using System.Text;

namespace Kodosumi.Indexer.Platform;

/// <summary>
/// One Linux inotify instance holding a watch per folder, read by a thread of its own. .NET 10's
/// <see cref="FileSystemWatcher"/> opens an inotify instance per watcher, and a user may have 128 in all
/// (<c>fs.inotify.max_user_instances</c>, shared by all of that user's processes): a watcher per folder
/// would run out of them long before the watches.
/// </summary>
internal class Inotify : IDisposable
{
    public const uint Modify = 0x2, MovedFrom = 0x40, MovedTo = 0x80, Create = 0x100, Delete = 0x200, IsDirectory = 0x4000_0000;
    const uint QueueOverflow = 0x4000, Ignored = 0x8000, OnlyDirectory = 0x100_0000, ExcludeUnlinked = 0x400_0000;
    const int CloseOnExec = 0x80000, NonBlocking = 0x800, PollIn = 1;
    const int ENOENT = 2, EINTR = 4, EAGAIN = 11, EACCES = 13, ENFILE = 23, EMFILE = 24, ENOTDIR = 20, ENOSPC = 28;
    /// <summary>How long the reading thread waits for events before it looks whether it should stop.</summary>
    const int PollMilliseconds = 250;

    readonly int _fd;
    readonly Lock _gate = new();
    readonly Dictionary<int, string> _folders = [];
    volatile bool _disposed;
    bool _closed;

    /// <summary>The path of what changed (the watched folder and the entry's name) and the inotify event mask.</summary>
    public event Action<string, uint>? Changed;
    /// <summary>Events were lost (the kernel's queue overflowed) or the instance cannot be read: nothing more comes.</summary>
    public event Action<Exception>? Failed;

    /// <exception cref="IOException">At the inotify instance limit.</exception>
    public Inotify()
    {
        try
        {
            _fd = inotify_init1(CloseOnExec | NonBlocking);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            throw new PlatformNotSupportedException("watching folders needs Linux inotify", e);
        }
        if (_fd < 0) throw ErrorOf(Marshal.GetLastPInvokeError(), "");
        new Thread(Read) { IsBackground = true, Name = "inotify" }.Start();
    }

    /// <summary>Watches one folder (not its sub-folders) for the events in <paramref name="mask"/>; returns the watch.</summary>
    /// <exception cref="IOException">At the inotify watch limit; <see cref="DirectoryNotFoundException"/> when the folder is gone.</exception>
    public virtual int Add(string folder, uint mask)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_closed || _disposed, this);
            // A symbolic link to a folder (a root configured through one) is followed, as a listing follows it.
            var wd = inotify_add_watch(_fd, folder, mask | OnlyDirectory | ExcludeUnlinked);
            if (wd < 0) throw ErrorOf(Marshal.GetLastPInvokeError(), folder);
            _folders[wd] = folder;
            return wd;
        }
    }

    public void Remove(int wd)
    {
        lock (_gate)
        {
            // Already gone with its folder (the kernel said so), or the instance is closed.
            if (_closed || !_folders.Remove(wd)) return;
            inotify_rm_watch(_fd, wd);
        }
    }

    protected virtual void OnChanged(string path, uint mask) => Changed?.Invoke(path, mask);

    protected void OnFailed(Exception error) => Failed?.Invoke(error);

    static Exception ErrorOf(int errno, string folder) => errno switch
    {
        ENOSPC => new IOException("the limit on the number of inotify watches was reached (fs.inotify.max_user_watches, shared by all of the user's processes)", errno),
        EMFILE => new IOException("the limit on the number of inotify instances was reached (fs.inotify.max_user_instances, shared by all of the user's processes), or on open files", errno),
        ENFILE => new IOException("the system's limit on open files was reached", errno),
        ENOENT or ENOTDIR => new DirectoryNotFoundException($"{folder} is not a folder"),
        EACCES => new UnauthorizedAccessException($"no access to {folder}"),
        _ => new IOException($"inotify failed on {folder}: {Marshal.GetPInvokeErrorMessage(errno)}", errno),
    };

    void Read()
    {
        var buffer = new byte[64 * 1024];
        var poll = new PollFd[] { new() { Fd = _fd, Events = PollIn } };
        try
        {
            while (!_disposed)
            {
                poll[0].Revents = 0;
                var ready = Poll(poll, 1, PollMilliseconds);
                if (ready < 0 && Marshal.GetLastPInvokeError() is var pollError && pollError != EINTR) throw ErrorOf(pollError, "");
                if (ready <= 0) continue;
                var length = (int)read(_fd, buffer, buffer.Length);
                if (length < 0 && Marshal.GetLastPInvokeError() is var readError && readError is not (EINTR or EAGAIN)) throw ErrorOf(readError, "");
                if (length > 0) Dispatch(buffer, length);
            }
        }
        catch (Exception e)
        {
            if (!_disposed) OnFailed(e);
        }
        finally
        {
            // Closed here, by the only thread that reads it, so no read can ever meet a number reused by another file.
            lock (_gate)
            {
                _closed = true;
                _folders.Clear();
                close(_fd);
            }
        }
    }

    void Dispatch(byte[] buffer, int length)
    {
        // struct inotify_event { int wd; uint32_t mask; uint32_t cookie; uint32_t len; char name[len]; }
        for (var at = 0; at + 16 <= length && !_disposed;)
        {
            var wd = BitConverter.ToInt32(buffer, at);
            var mask = BitConverter.ToUInt32(buffer, at + 4);
            var nameLength = (int)BitConverter.ToUInt32(buffer, at + 12);
            var name = buffer.AsSpan(at + 16, nameLength);
            var end = name.IndexOf((byte)0);
            var entry = Encoding.UTF8.GetString(end >= 0 ? name[..end] : name);
            at += 16 + nameLength;
            if ((mask & QueueOverflow) != 0)
            {
                OnFailed(new InternalBufferOverflowException("the inotify event queue overflowed (fs.inotify.max_queued_events)"));
                continue;
            }
            string? folder;
            lock (_gate)
            {
                // Its folder was deleted, or the watch removed.
                if ((mask & Ignored) != 0) _folders.Remove(wd, out folder);
                else _folders.TryGetValue(wd, out folder);
            }
            if (folder is null || (mask & Ignored) != 0) continue;
            OnChanged(entry.Length == 0 ? folder : Path.Join(folder, entry), mask);
        }
    }

    /// <summary>Stops reading; the reading thread closes the instance (and with it every watch) within a moment.</summary>
    public void Dispose()
    {
        _disposed = true;
        GC.SuppressFinalize(this);
    }

    [StructLayout(LayoutKind.Sequential)]
    struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [DllImport("libc", SetLastError = true)]
    static extern int inotify_init1(int flags);

    [DllImport("libc", SetLastError = true)]
    static extern int inotify_add_watch(int fd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, uint mask);

    [DllImport("libc", SetLastError = true)]
    static extern int inotify_rm_watch(int fd, int wd);

    [DllImport("libc", SetLastError = true)]
    static extern nint read(int fd, byte[] buffer, nint count);

    [DllImport("libc", SetLastError = true, EntryPoint = "poll")]
    static extern int Poll([In, Out] PollFd[] fds, nuint count, int timeout);

    [DllImport("libc", SetLastError = true)]
    static extern int close(int fd);
}
