using System.Collections.Concurrent;
using System.Text.Json;
using Kodosumi.Indexer.Platform;
using Kodosumi.Indexer.Worker;
using Kodosumi.Shared;
using Kodosumi.Shared.Demo;
using Kodosumi.TestSupport;
using Kodosumi.Tests.Support;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Kodosumi.Tests.Integration.Faults;

/// <summary>
/// The file watcher fails while the service runs: the service falls back to rescans, health says degraded
/// and why, and the watcher comes back by itself. Periodic rescans are ten minutes apart here, so whatever
/// is found in time was found by the recovery, not by the schedule.
/// </summary>
[Category("Integration")]
public class WatcherFailureTests : InProcessHostTest
{
    const string Api = "/api/dashboard";
    readonly RecordingWatchers _watchers = new();

    [SetUp]
    public async Task Start()
    {
        CreateDataDir("kodo-watcher", new DemoOptions { Executions = 10, Seed = 31 });
        await StartHostAsync(rescan: TimeSpan.FromMinutes(10), settings: new Dictionary<string, string?>
        {
            ["Indexer:WatcherRetryDelay"] = "00:00:02",
        }, reconfigure: host => host.WithWatchers(_watchers));
        await UntilHealth("Healthy", "watching at start");
    }

    [TearDown]
    public void Stop() => DeleteDataSet();

    async Task<JsonElement> Health() => JsonDocument.Parse(await Client.GetStringAsync("/health/ready")).RootElement;

    async Task<JsonElement> UntilHealth(string status, string what)
    {
        JsonElement health = default;
        await Wait.Until(async () => (health = await Health()).Str("status") == status, TimeSpan.FromSeconds(20), what);
        return health;
    }

    static string Description(JsonElement health) => health.GetProperty("checks").GetProperty("index").Str("description");

    string NewExecution(string root, string? user = null)
    {
        var fid = Fids.New(DateTimeOffset.UtcNow, Random.Shared);
        using var writer = SqliteCliWriter.Open(Path.Combine(root, user ?? DemoDataGenerator.Users[1].FolderName, fid, "sqlite3.db"));
        writer.Append("status", "running");
        writer.Append("status", "finished");
        return fid;
    }

    async Task UntilListed(string fid, string what) => await Wait.Until(async () =>
        (await Client.GetJson($"{Api}/running-agents?hours=999999&limit=5000&search={fid}")).GetProperty("total").GetInt32() == 1,
        TimeSpan.FromSeconds(15), what);

    [Test]
    public async Task A_buffer_overflow_falls_back_to_a_rescan_reports_degraded_and_watches_again()
    {
        var first = _watchers.Opened.Single();
        // Events the watcher never delivers, as in an overflow: it is deaf while these executions appear.
        first.Deaf = true;
        var missed = Enumerable.Range(0, 5).Select(_ => NewExecution(Host.ExecutionRoot)).ToList();
        await Task.Delay(500);
        Assert.That((await Client.GetJson($"{Api}/agent-stats")).GetProperty("total_executions").GetInt32(), Is.EqualTo(10), "nothing saw them yet");

        first.Fail(new InternalBufferOverflowException("Too many changes at once in directory"));
        var degraded = await UntilHealth("Degraded", "degraded after the overflow");
        Assert.That(Description(degraded), Does.Contain("overflow"));
        foreach (var fid in missed) await UntilListed(fid, "the rescan after the overflow finds what the watcher missed");

        var healthy = await UntilHealth("Healthy", "watching again after the retry delay");
        Assert.That(healthy.GetProperty("checks").GetProperty("index").GetProperty("data").Str("watcher"), Is.EqualTo("watching"));
        Assert.That(_watchers.Opened, Has.Count.EqualTo(2), "a new inotify instance");
        var later = NewExecution(Host.ExecutionRoot);
        await UntilListed(later, "the new watcher reports a new execution");
        await IndexVersusRecount.AssertEventually(Client, Host.ExecutionRoot, TimeSpan.FromSeconds(10));
    }

    [Test]
    public async Task A_watcher_that_dies_with_its_deleted_root_is_noticed_and_recreated_when_the_root_is_back()
    {
        var root = Host.ExecutionRoot;
        var elsewhere = TempDirs.Create("kodo-watcher-elsewhere");
        try
        {
            // .NET's watcher ends silently when its folder goes: the service must notice by itself.
            Directory.Move(root, Path.Combine(elsewhere, "execution"));
            var degraded = await UntilHealth("Degraded", "degraded once the root is gone");
            Assert.That(Description(degraded), Does.Contain(root));
            await Wait.Until(async () => (await Client.GetJson($"{Api}/agent-stats")).GetProperty("total_executions").GetInt32() == 0,
                TimeSpan.FromSeconds(10), "the rescan drops the executions that are gone");

            // The root comes back (a volume mounted again) with one execution more.
            var added = NewExecution(Path.Combine(elsewhere, "execution"));
            Directory.Move(Path.Combine(elsewhere, "execution"), root);
            await UntilHealth("Healthy", "watching the new root");
            await UntilListed(added, "the rescan after watching again finds everything");
            var later = NewExecution(root, DemoDataGenerator.Users[2].FolderName);
            await UntilListed(later, "the new watcher reports a new execution");
            await IndexVersusRecount.AssertEventually(Client, root, TimeSpan.FromSeconds(10));
            Assert.That((await Client.GetJson($"{Api}/agent-stats")).GetProperty("total_executions").GetInt32(), Is.EqualTo(12));
        }
        finally
        {
            TempDirs.Delete(elsewhere);
        }
    }

    /// <summary>Real inotify instances, which a test can make deaf or fail.</summary>
    sealed class RecordingWatchers : WatcherFactory
    {
        readonly ConcurrentQueue<FailingInotify> _opened = new();

        public override Inotify Open()
        {
            var inotify = new FailingInotify();
            _opened.Enqueue(inotify);
            return inotify;
        }

        public List<FailingInotify> Opened => [.. _opened];
    }

    sealed class FailingInotify : Inotify
    {
        public volatile bool Deaf;

        protected override void OnChanged(string path, uint mask)
        {
            if (!Deaf) base.OnChanged(path, mask);
        }

        public void Fail(Exception e) => OnFailed(e);
    }
}
