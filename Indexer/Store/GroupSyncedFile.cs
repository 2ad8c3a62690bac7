namespace Kodosumi.Indexer.Store;

/// <summary>
/// LiteDB's log file, synced to disk at most once per <see cref="SyncInterval"/>. LiteDB's log writer syncs whenever its
/// queue runs dry, which in a large commit is after nearly every 8 KB page, and on a virtual machine an fsync costs
/// as much as folding an execution. Here a flush
/// only asks for a sync, which runs on the thread pool within the interval and covers every page written before it.
/// A commit becomes visible when LiteDB returns, never later; what a power failure can lose is the last interval of
/// commits, which leaves an older, consistent index that the next scan folds forward from the execution databases.
/// A failed sync is thrown to LiteDB's next write or flush, which fails the engine as a failed sync of its own would.
/// </summary>
internal sealed class GroupSyncedFile : Stream
{
    public static readonly TimeSpan SyncInterval = TimeSpan.FromMilliseconds(100);

    // Unbuffered: every write reaches the OS at once, so a sync from another thread covers it, and the stream has no
    // state that a sync could race with.
    readonly FileStream _file;
    readonly Lock _syncGate = new();
    int _syncScheduled;
    bool _disposed;
    Exception? _syncFailure;

    public GroupSyncedFile(string path) =>
        _file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, bufferSize: 0, FileOptions.RandomAccess);

    public override bool CanRead => true;
    public override bool CanSeek => true;
    public override bool CanWrite => true;
    public override long Length => _file.Length;

    public override long Position
    {
        get => _file.Position;
        set => _file.Position = value;
    }

    public override int Read(byte[] buffer, int offset, int count) => _file.Read(buffer, offset, count);

    public override long Seek(long offset, SeekOrigin origin) => _file.Seek(offset, origin);

    public override void SetLength(long value)
    {
        ThrowIfSyncFailed();
        _file.SetLength(value);
    }

    public override void Write(byte[] buffer, int offset, int count)
    {
        ThrowIfSyncFailed();
        _file.Write(buffer, offset, count);
    }

    /// <summary>Asks for a sync; one is already waiting if an earlier flush asked since the last one began.</summary>
    public override void Flush()
    {
        ThrowIfSyncFailed();
        if (Interlocked.Exchange(ref _syncScheduled, 1) == 0)
            Task.Delay(SyncInterval).ContinueWith(_ => Sync(), TaskScheduler.Default);
    }

    /// <summary>Syncs since the file was opened; tests count them.</summary>
    internal int Syncs { get; private set; }

    void Sync()
    {
        // Cleared first: a write flushed while this sync runs asks for the next one.
        Volatile.Write(ref _syncScheduled, 0);
        lock (_syncGate)
        {
            if (_disposed) return;
            try
            {
                _file.Flush(flushToDisk: true);
                Syncs++;
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
                _syncFailure ??= e;
            }
        }
    }

    void ThrowIfSyncFailed()
    {
        if (_syncFailure is { } failure) throw new IOException($"The index log could not be synced to disk: {failure.Message}", failure);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            lock (_syncGate)
            {
                if (_disposed) return;
                _disposed = true;
                try
                {
                    _file.Flush(flushToDisk: true);
                }
                // The next open reads whatever reached the file; LiteDB's own close would not have done better.
                catch (IOException)
                {
                }
                finally
                {
                    _file.Dispose();
                }
            }
        }
        base.Dispose(disposing);
    }
}
