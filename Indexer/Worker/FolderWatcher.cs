using Microsoft.Extensions.Logging;

namespace Kodosumi.Indexer.Worker;

/// <summary>
/// One recursive <see cref="FileSystemWatcher"/> over the execution root. Its events are only hints:
/// each changed path is passed on, and any failure (buffer overflow, inotify limits) recreates the
/// watcher and asks for a full rescan, which the periodic rescan would also catch.
/// </summary>
public sealed class FolderWatcher(string root, Action<string> onChanged, Action onLost, IndexerStatus status, ILogger logger) : IDisposable
{
    static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(10);
    FileSystemWatcher? _watcher;
    long _retryAt;
    readonly Lock _gate = new();

    public bool IsActive => _watcher is not null;

    /// <summary>
    /// Starts watching if the root exists, no watcher runs and no recent failure asks to wait (every
    /// scan calls this); returns whether one runs now.
    /// </summary>
    public bool EnsureStarted()
    {
        lock (_gate)
        {
            if (_watcher is not null) return true;
            if (Environment.TickCount64 < _retryAt) return false;
            if (!Directory.Exists(root))
            {
                status.WatcherState = $"waiting for {root} to exist";
                status.WatcherHealthy = false;
                return false;
            }
            try
            {
                var watcher = new FileSystemWatcher(root)
                {
                    IncludeSubdirectories = true,
                    InternalBufferSize = 64 * 1024,
                    NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size,
                };
                watcher.Changed += OnEvent;
                watcher.Created += OnEvent;
                watcher.Deleted += OnEvent;
                watcher.Renamed += (_, e) => { onChanged(e.OldFullPath); onChanged(e.FullPath); };
                watcher.Error += OnError;
                watcher.EnableRaisingEvents = true;
                _watcher = watcher;
                status.WatcherState = "watching";
                status.WatcherHealthy = true;
                return true;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or PlatformNotSupportedException)
            {
                status.WatcherState = $"rescans only: {e.Message}";
                status.WatcherHealthy = false;
                _retryAt = Environment.TickCount64 + (long)RetryDelay.TotalMilliseconds;
                logger.LogWarning("Cannot watch {Root}, relying on periodic rescans: {Reason}", root, e.Message);
                return false;
            }
        }
    }

    void OnEvent(object sender, FileSystemEventArgs e) => onChanged(e.FullPath);

    void OnError(object sender, ErrorEventArgs e)
    {
        var reason = e.GetException().Message;
        logger.LogWarning("File watcher on {Root} failed ({Reason}); rescanning, and watching again in {Delay} s", root, reason, RetryDelay.TotalSeconds);
        lock (_gate)
        {
            _watcher?.Dispose();
            _watcher = null;
            // Not at once: a watcher that fails for good (inotify limits) would fail again in a tight loop.
            _retryAt = Environment.TickCount64 + (long)RetryDelay.TotalMilliseconds;
            status.WatcherState = $"rescans only: {reason}";
            status.WatcherHealthy = false;
        }
        onLost();
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _watcher?.Dispose();
            _watcher = null;
        }
    }
}
