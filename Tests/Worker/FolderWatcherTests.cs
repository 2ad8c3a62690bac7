using System.Collections.Concurrent;
using System.Diagnostics;
using Kodosumi.Indexer.Worker;
using Kodosumi.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kodosumi.Tests.Worker;

/// <summary>The watcher on a real folder tree: what it passes on when execution folders appear.</summary>
public class FolderWatcherTests
{
    [Test]
    public async Task A_new_execution_folder_is_passed_on_at_once_and_again_once_it_settled()
    {
        var root = TempDirs.Create("kodo-watch");
        Directory.CreateDirectory(Path.Combine(root, "user-1"));
        var seen = new ConcurrentQueue<(string Path, long At)>();
        var clock = Stopwatch.StartNew();
        using var watcher = new FolderWatcher(root, p => seen.Enqueue((p, clock.ElapsedMilliseconds)), () => { }, new IndexerStatus(),
            NullLogger.Instance, TimeSpan.FromMinutes(1), new WatcherFactory(), TimeProvider.System);
        try
        {
            Assert.That(watcher.EnsureStarted(), Is.True);
            var execution = Path.Combine(root, "user-1", "exec-1");
            var created = clock.ElapsedMilliseconds;
            Directory.CreateDirectory(execution);

            await Wait.Until(() => Task.FromResult(seen.Count(s => s.Path == execution) >= 2), TimeSpan.FromSeconds(10),
                "the new folder is passed on twice");
            var times = seen.Where(s => s.Path == execution).Select(s => s.At - created).ToList();
            Assert.That(times[1] - times[0], Is.GreaterThanOrEqualTo((long)FolderWatcher.SettleDelay.TotalMilliseconds - 50),
                "the second look comes after the settle delay");

            // A user folder (above any execution) gets no second look: its appearance asks for a full scan anyway.
            var user = Path.Combine(root, "user-2");
            Directory.CreateDirectory(user);
            await Task.Delay(FolderWatcher.SettleDelay * 2);
            Assert.That(seen.Count(s => s.Path == user), Is.EqualTo(1));
        }
        finally
        {
            watcher.Dispose();
            TempDirs.Delete(root);
        }
    }
}
