using System.Collections.Concurrent;
using System.Diagnostics;
using Kodosumi.Indexer.Platform;
using Kodosumi.Indexer.Store;
using Kodosumi.Indexer.Worker;
using Kodosumi.Shared;
using Kodosumi.Shared.Model;
using Kodosumi.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kodosumi.Tests.Worker;

/// <summary>The watcher on a real folder tree: what it passes on when execution folders appear.</summary>
[Category("Unit")]
public class FolderWatcherTests
{
    [Test]
    public async Task A_new_execution_folder_is_passed_on_at_once_and_again_once_it_settled()
    {
        var root = TempDirs.Create("kodo-watch");
        Directory.CreateDirectory(Path.Combine(root, "user-1"));
        var seen = new ConcurrentQueue<(string Path, long At)>();
        var clock = Stopwatch.StartNew();
        using var watcher = new FolderWatcher(root, new FolderChanges(p => seen.Enqueue((p, clock.ElapsedMilliseconds)), () => { }), new IndexerStatus(),
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

    [Test]
    public async Task A_new_execution_folder_is_watched_at_once_with_everything_below_it()
    {
        var root = TempDirs.Create("kodo-watch");
        var user = Path.Combine(root, "user-1");
        Directory.CreateDirectory(user);
        var seen = new ConcurrentQueue<string>();
        var status = new IndexerStatus();
        using var watcher = new FolderWatcher(root, new FolderChanges(seen.Enqueue, () => { }), status, NullLogger.Instance, TimeSpan.FromMinutes(1),
            new WatcherFactory(), TimeProvider.System);
        try
        {
            Assert.That(watcher.EnsureStarted(), Is.True);
            Assert.That(status.WatchedFolders, Is.EqualTo(2), "the root and the user folder");
            var execution = Path.Combine(user, Fids.New(DateTimeOffset.UtcNow, Random.Shared));
            Directory.CreateDirectory(execution);
            await Wait.Until(() => Task.FromResult(watcher.IsWatching(execution)), TimeSpan.FromSeconds(5), "the new execution folder is watched");
            Assert.That(status.WatchedFolders, Is.EqualTo(3));

            // Its database's WAL, and a file in a sub-folder of out/ made after the watch was added, are passed on.
            var wal = Path.Combine(execution, "sqlite3.db-wal");
            await File.WriteAllTextAsync(wal, "rows");
            await Wait.Until(() => Task.FromResult(seen.Contains(wal)), TimeSpan.FromSeconds(5), "a write to the WAL is passed on");
            var nested = Path.Combine(execution, "out", "nested");
            Directory.CreateDirectory(nested);
            await Task.Delay(200);
            var result = Path.Combine(nested, "result.json");
            await File.WriteAllTextAsync(result, "{}");
            await Wait.Until(() => Task.FromResult(seen.Contains(result)), TimeSpan.FromSeconds(5), "a file written deep in out/ is passed on");

            Directory.Delete(execution, recursive: true);
            await Wait.Until(() => Task.FromResult(!watcher.IsWatching(execution)), TimeSpan.FromSeconds(5), "a deleted execution is no longer watched");
            Assert.That(status.WatchedFolders, Is.EqualTo(2));
        }
        finally
        {
            watcher.Dispose();
            TempDirs.Delete(root);
        }
    }

    [Test]
    public async Task A_finished_execution_is_no_longer_watched_and_its_later_writes_are_left_to_the_rescan()
    {
        var root = TempDirs.Create("kodo-watch");
        var fid = Fids.New(DateTimeOffset.UtcNow.AddHours(-2), Random.Shared);
        var execution = Path.Combine(root, "user-1", fid);
        Directory.CreateDirectory(execution);
        var seen = new ConcurrentQueue<string>();
        using var watcher = new FolderWatcher(root, new FolderChanges(seen.Enqueue, () => { }), new IndexerStatus(), NullLogger.Instance, TimeSpan.FromMinutes(1),
            new WatcherFactory(), TimeProvider.System);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;
        ExecutionSummary Summary(string status, double lastEvent) => new() { Fid = fid, UserId = "user-1", Status = status, LastTimestamp = lastEvent };
        try
        {
            Assert.That(watcher.EnsureStarted(), Is.True);
            Assert.That(watcher.IsWatching(execution), Is.False, "nothing says it is live yet");

            watcher.Track([new UpsertExecution(Summary("running", now - 3600), [], false)]);
            Assert.That(watcher.IsWatching(execution), Is.True, "running");
            var wal = Path.Combine(execution, "sqlite3.db-wal");
            await File.WriteAllTextAsync(wal, "rows");
            await Wait.Until(() => Task.FromResult(seen.Contains(wal)), TimeSpan.FromSeconds(5), "a write to a running execution is passed on");

            watcher.Track([new UpsertExecution(Summary("finished", now - 10), [], false)]);
            Assert.That(watcher.IsWatching(execution), Is.True, "finished just now: late files and the writer closing are still watched");

            watcher.Track([new UpsertExecution(Summary("finished", now - 3600), [], false)]);
            Assert.That(watcher.IsWatching(execution), Is.False, "finished an hour ago");
            seen.Clear();
            await File.AppendAllTextAsync(wal, "late rows");
            await File.WriteAllTextAsync(Path.Combine(execution, "late.txt"), "late");
            await Task.Delay(1000);
            Assert.That(seen, Is.Empty, "the periodic rescan finds these, not the watcher");

            watcher.Track([new UpsertExecution(Summary("awaiting", now - 60), [], false)]);
            Assert.That(watcher.IsWatching(execution), Is.True, "live again");
            watcher.Track([new RemoveExecution(fid)]);
            Assert.That(watcher.IsWatching(execution), Is.False, "removed from the index");
        }
        finally
        {
            watcher.Dispose();
            TempDirs.Delete(root);
        }
    }

    [Test]
    public void An_execution_is_watched_until_it_finishes_however_long_it_is_quiet_and_shortly_after()
    {
        var now = DateTimeOffset.UtcNow;
        var fid = Fids.New(now.AddDays(-3), Random.Shared);
        bool Live(string? status, double? lastEvent) =>
            FolderWatcher.WatchUntil(new ExecutionSummary { Fid = fid, Status = status, LastTimestamp = lastEvent }) > now;
        double Ago(TimeSpan span) => (now - span).ToUnixTimeMilliseconds() / 1000.0;

        Assert.Multiple(() =>
        {
            Assert.That(Live("running", Ago(TimeSpan.FromHours(3))), Is.True, "running, quiet for hours");
            Assert.That(Live("awaiting", Ago(TimeSpan.FromHours(20))), Is.True);
            Assert.That(Live("running", Ago(TimeSpan.FromDays(2))), Is.True, "quiet for days: it may still resume");
            Assert.That(Live("awaiting", Ago(TimeSpan.FromDays(40))), Is.True, "awaiting a person's answer for weeks");
            Assert.That(Live("finished", Ago(TimeSpan.FromMinutes(1))), Is.True, "just finished");
            Assert.That(Live("Error", Ago(TimeSpan.FromMinutes(1))), Is.True);
            Assert.That(Live("finished", Ago(TimeSpan.FromMinutes(10))), Is.False);
            Assert.That(Live("error", Ago(TimeSpan.FromMinutes(10))), Is.False);
            // Without a status it has not finished either.
            Assert.That(Live(null, null), Is.True);
            Assert.That(Live(null, double.NaN), Is.True);
            Assert.That(Live("running", double.PositiveInfinity), Is.True);
            Assert.That(Live("finished", double.NaN), Is.False, "a finished one without a usable time counts from its creation, three days ago");
            Assert.That(Live("running", 1e300), Is.True, "a timestamp far in the future does not throw");
        });
    }

    [Test]
    public async Task At_the_inotify_watch_limit_live_executions_are_left_to_the_rescans_and_tried_again_without_a_tight_loop()
    {
        var root = TempDirs.Create("kodo-watch");
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;
        var executions = Enumerable.Range(0, 8).Select(_ => new ExecutionSummary
        {
            Fid = Fids.New(DateTimeOffset.UtcNow, Random.Shared), UserId = "user-1", Status = "running", LastTimestamp = now,
        }).ToList();
        foreach (var e in executions) Directory.CreateDirectory(Path.Combine(root, "user-1", e.Fid));
        var seen = new ConcurrentQueue<string>();
        var status = new IndexerStatus();
        var factory = new LimitedWatchers(root);
        var retryDelay = TimeSpan.FromMilliseconds(300);
        using var watcher = new FolderWatcher(root, new FolderChanges(seen.Enqueue, () => { }), status, NullLogger.Instance, retryDelay, factory, TimeProvider.System);
        try
        {
            Assert.That(watcher.EnsureStarted(), Is.True);
            factory.AtLimit = true;
            watcher.Track(executions.Select(e => new UpsertExecution(e, [], false)).ToList());

            Assert.That(executions.Any(e => watcher.IsWatching(Path.Combine(root, "user-1", e.Fid))), Is.False);
            Assert.That(status.WatcherHealthy, Is.False);
            Assert.That(status.WatcherState, Does.StartWith("watching, 8 folders by rescans only").And.Contain("inotify watches"));
            Assert.That(watcher.IsActive, Is.True, "the root and user folders are still watched");
            Assert.That(status.WatchedFolders, Is.EqualTo(2));

            // One failing try per retry delay, not one per execution, and no tight loop.
            var triesBefore = factory.FailedTries;
            await Task.Delay(retryDelay * 5);
            var tries = factory.FailedTries - triesBefore;
            Assert.That(tries, Is.InRange(2, 7), "about one try per retry delay");
            Assert.That(factory.FailedTries, Is.LessThanOrEqualTo(1 + 7), "the other live executions waited for the retry");

            factory.AtLimit = false;
            await Wait.Until(() => Task.FromResult(status.WatcherHealthy), TimeSpan.FromSeconds(5), "every execution watched once the limit allows it");
            Assert.That(status.WatcherState, Is.EqualTo("watching"));
            Assert.That(status.WatchedFolders, Is.EqualTo(2 + executions.Count));
            // What changed while they were not watched is looked at once they are.
            foreach (var e in executions) Assert.That(seen, Does.Contain(Path.Combine(root, "user-1", e.Fid)));
        }
        finally
        {
            watcher.Dispose();
            TempDirs.Delete(root);
        }
    }

    /// <summary>A real inotify instance, except that it refuses a watch on an execution folder while <see cref="AtLimit"/>, as past the inotify watch limit.</summary>
    sealed class LimitedWatchers(string root) : WatcherFactory
    {
        int _failedTries;
        public volatile bool AtLimit;
        public int FailedTries => Volatile.Read(ref _failedTries);

        public override Inotify Open() => new LimitedInotify(this);

        sealed class LimitedInotify(LimitedWatchers limits) : Inotify
        {
            public override int Add(string folder, uint mask)
            {
                var depth = Path.GetRelativePath(limits._root, folder).Split(Path.DirectorySeparatorChar).Length;
                if (limits.AtLimit && depth == 2)
                {
                    Interlocked.Increment(ref limits._failedTries);
                    // What inotify_add_watch says at the limit: ENOSPC.
                    throw new IOException("the limit on the number of inotify watches was reached", 28);
                }
                return base.Add(folder, mask);
            }
        }

        readonly string _root = root;
    }
}
