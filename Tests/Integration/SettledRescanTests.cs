using System.Net;
using System.Text.Json;
using Kodosumi.Indexer.Worker;
using Kodosumi.Shared;
using Kodosumi.Shared.Demo;
using Kodosumi.TestSupport;
using Kodosumi.Tests.Support;

namespace Kodosumi.Tests.Integration;

/// <summary>
/// Rescans in tiers over a tree whose files have been quiet for hours, with a watcher that hears nothing, so whatever
/// shows was found by a rescan: a settled execution at its point in the settled interval and not before, a new or
/// removed execution under a user folder whose listing is otherwise reused at the next rescan, and everything after
/// a restart.
/// </summary>
[Category("Integration")]
public class SettledRescanTests : InProcessHostTest
{
    const string Api = "/api/dashboard";
    List<Expected> _executions = [];

    [SetUp]
    public void CreateQuietTree()
    {
        CreateDataDir("kodo-settled", new DemoOptions { Executions = 30, Seed = 17 });
        _executions = Recount.All(ExecutionRoot);
        var longAgo = DateTime.UtcNow.AddHours(-2);
        foreach (var path in Directory.EnumerateFileSystemEntries(ExecutionRoot, "*", SearchOption.AllDirectories))
            File.SetLastWriteTimeUtc(path, longAgo);
        foreach (var dir in Directory.EnumerateDirectories(ExecutionRoot, "*", SearchOption.AllDirectories).Append(ExecutionRoot))
            Directory.SetLastWriteTimeUtc(dir, longAgo);
    }

    [TearDown]
    public void Stop() => DeleteDataSet();

    /// <summary>Rescans every second; settled executions looked at once per <paramref name="settledInterval"/>.</summary>
    Task StartDeafAsync(TimeSpan settledInterval, string? indexPath = null) => StartHostAsync(
        rescan: TimeSpan.FromSeconds(1),
        settings: new Dictionary<string, string?> { ["Indexer:SettledLookInterval"] = settledInterval.ToString() },
        reconfigure: host => host.WithWatchers(new DeafWatchers()), indexPath: indexPath);

    async Task<int?> EventCount(string fid)
    {
        var response = await Client.GetAsync($"{Api}/execution/{fid}/details?limit=1");
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("metadata").GetProperty("event_count").GetInt32();
    }

    async Task<double> LastScanAt() => (await Client.GetJson("/health/ready"))
        .GetProperty("checks").GetProperty("index").GetProperty("data").GetProperty("last_scan_at").GetDouble();

    async Task RescansPass(int count)
    {
        for (var i = 0; i < count; i++)
        {
            var before = await LastScanAt();
            await Wait.Until(async () => await LastScanAt() != before, TimeSpan.FromSeconds(20), "a rescan ran");
        }
    }

    static void AppendLateError(Expected execution, string executionRoot)
    {
        using var writer = SqliteCliWriter.Open(Path.Combine(executionRoot, execution.UserId, execution.Fid, ExecutionLayout.Database));
        writer.Append("error", "late failure", execution.Last + 1);
    }

    /// <summary>How long until <paramref name="fid"/>'s point in the settled interval comes round.</summary>
    static TimeSpan UntilPoint(string fid, TimeSpan interval)
    {
        var point = RescanTiers.PointOf(fid, interval.Ticks);
        return TimeSpan.FromTicks((point - DateTimeOffset.UtcNow.UtcTicks % interval.Ticks + interval.Ticks) % interval.Ticks);
    }

    [Test]
    public async Task A_settled_execution_changed_unseen_is_found_at_its_point_in_the_settled_interval_and_not_before()
    {
        var interval = TimeSpan.FromSeconds(30);
        await StartDeafAsync(interval);
        var finished = _executions.Where(e => ExecutionStatus.IsFinal(e.Status)).ToList();
        Assert.That(finished, Is.Not.Empty);
        var settled = finished.MaxBy(e => UntilPoint(e.Fid, interval))!;
        // Its point just passed: the next one is a whole interval away.
        if (UntilPoint(settled.Fid, interval) < interval / 2) await Task.Delay(UntilPoint(settled.Fid, interval) + TimeSpan.FromSeconds(1));
        var due = DateTime.UtcNow + UntilPoint(settled.Fid, interval);

        AppendLateError(settled, ExecutionRoot);
        await RescansPass(2);
        Assert.That(DateTime.UtcNow, Is.LessThan(due), "the check ran before the execution's point");
        Assert.That(await EventCount(settled.Fid), Is.EqualTo(settled.Events), "rescans before its point do not look at it");

        await Wait.Until(async () => await EventCount(settled.Fid) == settled.Events + 1, interval + TimeSpan.FromSeconds(15),
            "the rescan after its point finds the late row");
    }

    [Test]
    public async Task A_new_execution_appears_and_a_removed_one_disappears_while_other_user_folders_keep_their_listing()
    {
        await StartDeafAsync(TimeSpan.FromHours(1));
        var removed = _executions[0];
        var user = DemoDataGenerator.Users.Select(u => u.FolderName).First(u => u != removed.UserId);
        var fid = Fids.New(DateTimeOffset.UtcNow, Random.Shared);
        using (var writer = SqliteCliWriter.Open(Path.Combine(ExecutionRoot, user, fid, ExecutionLayout.Database)))
            writer.Append("status", "finished");
        Directory.Delete(Path.Combine(ExecutionRoot, removed.UserId, removed.Fid), recursive: true);

        await Wait.Until(async () => await EventCount(fid) == 1, TimeSpan.FromSeconds(15), "the new execution is indexed");
        await Wait.Until(async () => await EventCount(removed.Fid) is null, TimeSpan.FromSeconds(15), "the removed execution is gone");
        var total = (await Client.GetJson($"{Api}/agent-stats")).GetProperty("total_executions").GetInt32();
        Assert.That(total, Is.EqualTo(_executions.Count), "one came, one went, every other one stays");
    }

    [Test]
    public async Task After_a_restart_the_first_scan_looks_at_every_execution()
    {
        var indexPath = Path.Combine(DataDir + "-index", "index.db");
        try
        {
            await StartDeafAsync(TimeSpan.FromHours(1), indexPath);
            StopHost();
            var settled = _executions.First(e => ExecutionStatus.IsFinal(e.Status));
            AppendLateError(settled, ExecutionRoot);

            await StartDeafAsync(TimeSpan.FromHours(1), indexPath);
            Assert.That(await EventCount(settled.Fid), Is.EqualTo(settled.Events + 1), "changed while the service was down: found before it is ready");
        }
        finally
        {
            TempDirs.Delete(Path.GetDirectoryName(indexPath)!);
        }
    }
}
