using System.Net;
using System.Text.Json;
using Kodosumi.Indexer.Sources;
using Kodosumi.Indexer.Worker;
using Kodosumi.Shared;
using Kodosumi.Shared.Demo;
using Kodosumi.TestSupport;
using Kodosumi.Tests.Support;

namespace Kodosumi.Tests.Integration;

/// <summary>A separate writer process appends to an execution while the service runs.</summary>
[Category("Integration")]
public class LiveIndexingTests : InProcessHostTest
{
    const string Api = "/api/dashboard";
    static readonly TimeSpan Soon = TimeSpan.FromSeconds(10);

    [SetUp]
    public async Task Start()
    {
        CreateDataDir("kodo-live", new DemoOptions { Executions = 20, Seed = 3 });
        // Rescans are slow here: what the tests see must come from the watcher.
        await StartHostAsync(rescan: TimeSpan.FromMinutes(10));
    }

    [TearDown]
    public void Stop() => DeleteDataSet();

    string NewExecutionDir(out string fid)
    {
        fid = Fids.New(DateTimeOffset.UtcNow, Random.Shared);
        return Path.Combine(Host.ExecutionRoot, DemoDataGenerator.Users[1].FolderName, fid);
    }

    async Task<JsonElement?> Row(string fid)
    {
        var response = await Client.GetAsync($"{Api}/execution/{fid}/details?limit=1");
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("metadata");
    }

    async Task UntilRow(string fid, Func<JsonElement, bool> condition, string what) =>
        await Wait.Until(async () => await Row(fid) is { } row && condition(row), Soon, what);

    async Task<int> WatchedFolders() => (await Client.GetJson("/health/ready"))
        .GetProperty("checks").GetProperty("index").GetProperty("data").GetProperty("watched_folders").GetInt32();

    [Test]
    public async Task Rows_appended_in_wal_mode_show_up_without_a_restart()
    {
        var watchedBefore = await WatchedFolders();
        var dir = NewExecutionDir(out var fid);
        using var writer = SqliteCliWriter.Open(Path.Combine(dir, "sqlite3.db"));
        writer.Append("status", "starting");
        writer.Append("meta", """{"dict": {"summary": "Live Agent", "tags": ["live"]}}""");
        writer.Append("status", "running");
        Assert.That(File.Exists(Path.Combine(dir, "sqlite3.db-wal")), "the rows are in the WAL");
        await UntilRow(fid, r => r.Str("status") == "running" && r.GetProperty("event_count").GetInt32() == 3, "the new execution is running");
        Assert.That((await Row(fid))!.Value.Str("agent_name"), Is.EqualTo("Live Agent"));
        Assert.That(await WatchedFolders(), Is.EqualTo(watchedBefore + 1), "the running execution has a watcher of its own");

        writer.Append("error", "Traceback (most recent call last):\nValueError: live failure");
        writer.Append("status", "error");
        await UntilRow(fid, r => r.Str("status") == "error" && r.GetProperty("error_count").GetInt32() == 1, "the error is shown");
        var errors = await Client.GetJson($"{Api}/errors?hours=1");
        Assert.That(errors.GetProperty("errors").EnumerateArray().Select(e => e.Str("fid")), Does.Contain(fid));

        // Closing checkpoints the WAL into the database and deletes -wal/-shm when no reader has it open: past the racy
        // window the service reads it no more (a fold looks again at a WAL written within it). Nothing is counted twice.
        await Task.Delay(FolderLook.RacyWindow + HintQueue.LookAgainAfter + TimeSpan.FromSeconds(1));
        writer.Close();
        Assert.That(File.Exists(Path.Combine(dir, "sqlite3.db-wal")), Is.False);
        await Task.Delay(500);
        var after = (await Row(fid))!.Value;
        Assert.That(after.GetProperty("event_count").GetInt32(), Is.EqualTo(5));
        Assert.That(after.GetProperty("error_count").GetInt32(), Is.EqualTo(1));
        var stats = await Client.GetJson($"{Api}/agent-stats");
        Assert.That(stats.GetProperty("total_executions").GetInt32(), Is.EqualTo(21));
    }

    [Test]
    public async Task Deleting_an_execution_folder_removes_it_and_its_errors()
    {
        var dir = NewExecutionDir(out var fid);
        using (var writer = SqliteCliWriter.Open(Path.Combine(dir, "sqlite3.db")))
        {
            writer.Append("status", "running");
            writer.Append("error", "boom");
        }
        await UntilRow(fid, r => r.GetProperty("error_count").GetInt32() == 1, "the execution is indexed");

        Directory.Delete(dir, recursive: true);
        await Wait.Until(async () => await Row(fid) is null, Soon, "the deleted execution leaves the index");
        var errors = await Client.GetJson($"{Api}/errors?hours=999999&limit=5000");
        Assert.That(errors.GetProperty("errors").EnumerateArray().Select(e => e.Str("fid")), Does.Not.Contain(fid));
        var list = await Client.GetJson($"{Api}/running-agents?hours=999999&limit=5000");
        Assert.That(list.GetProperty("total").GetInt32(), Is.EqualTo(20));
    }

    [Test]
    public async Task A_database_recreated_under_the_same_path_is_refolded_from_scratch()
    {
        var dir = NewExecutionDir(out var fid);
        var db = Path.Combine(dir, "sqlite3.db");
        using (var writer = SqliteCliWriter.Open(db))
        {
            for (var i = 0; i < 6; i++) writer.Append("stdout", $"line {i}");
            writer.Append("error", "old failure");
            writer.Append("status", "error");
        }
        await UntilRow(fid, r => r.GetProperty("event_count").GetInt32() == 8, "the first database is indexed");

        File.Delete(db);
        using (var writer = SqliteCliWriter.Open(db))
        {
            writer.Append("status", "starting");
            writer.Append("status", "finished");
        }
        await UntilRow(fid, r => r.GetProperty("event_count").GetInt32() == 2, "the recreated database replaces the old one");
        var row = (await Row(fid))!.Value;
        Assert.That(row.Str("status"), Is.EqualTo("finished"));
        Assert.That(row.GetProperty("error_count").GetInt32(), Is.Zero);
        var errors = await Client.GetJson($"{Api}/errors?hours=999999&limit=5000");
        Assert.That(errors.GetProperty("errors").EnumerateArray().Select(e => e.Str("fid")), Does.Not.Contain(fid));
    }

    [Test]
    public async Task Files_added_to_in_and_out_sub_folders_are_counted()
    {
        var dir = NewExecutionDir(out var fid);
        using (var writer = SqliteCliWriter.Open(Path.Combine(dir, "sqlite3.db"))) writer.Append("status", "running");
        await UntilRow(fid, r => r.Str("status") == "running", "indexed");

        Directory.CreateDirectory(Path.Combine(dir, "out", "deep", "er"));
        await File.WriteAllTextAsync(Path.Combine(dir, "out", "deep", "er", "report.md"), "# report");
        await File.WriteAllTextAsync(Path.Combine(dir, "out", "summary.txt"), "ok");
        Directory.CreateDirectory(Path.Combine(dir, "in"));
        await File.WriteAllTextAsync(Path.Combine(dir, "in", "question.txt"), "why?");
        await UntilRow(fid, r => r.GetProperty("download_count").GetInt32() == 2 && r.GetProperty("upload_count").GetInt32() == 1, "the files are counted");
    }

    [Test]
    public async Task Writes_in_a_hidden_folder_set_off_no_full_scan_while_executions_still_update()
    {
        async Task<double> LastScanAt() => (await Client.GetJson("/health/ready"))
            .GetProperty("checks").GetProperty("index").GetProperty("data").GetProperty("last_scan_at").GetDouble();
        var before = await LastScanAt();
        var hidden = Path.Combine(Host.ExecutionRoot, DemoDataGenerator.Users[1].FolderName, ".staging");
        Directory.CreateDirectory(hidden);
        for (var i = 0; i < 20; i++)
            await File.WriteAllTextAsync(Path.Combine(hidden, $"part-{i}.tmp"), new string('x', i));

        // A change the watcher must deliver after the hidden ones: once it shows, the hidden events were handled.
        var dir = NewExecutionDir(out var fid);
        using (var writer = SqliteCliWriter.Open(Path.Combine(dir, "sqlite3.db")))
            writer.Append("status", "running");
        await UntilRow(fid, r => r.Str("status") == "running", "the execution written after them is indexed");
        Assert.That(await LastScanAt(), Is.EqualTo(before), "no full scan ran");
    }

    [Test]
    public async Task A_finished_execution_is_no_longer_watched_and_a_later_change_is_found_by_the_next_rescan()
    {
        var watchedBefore = await WatchedFolders();
        var dir = NewExecutionDir(out var fid);
        var db = Path.Combine(dir, "sqlite3.db");
        var longAgo = DateTimeOffset.UtcNow.AddHours(-2).ToUnixTimeMilliseconds() / 1000.0;
        using (var writer = SqliteCliWriter.Open(db))
        {
            writer.Append("status", "running", longAgo);
            writer.Append("status", "finished", longAgo + 10);
        }
        await UntilRow(fid, r => r.Str("status") == "finished", "indexed");
        await Wait.Until(async () => await WatchedFolders() == watchedBefore, Soon, "finished two hours ago: no longer watched");
        // Past the second look every new folder gets.
        await Task.Delay(FolderWatcher.SettleDelay * 2);

        using (var writer = SqliteCliWriter.Open(db)) writer.Append("error", "late failure", longAgo + 20);
        await Task.Delay(1500);
        Assert.That((await Row(fid))!.Value.GetProperty("event_count").GetInt32(), Is.EqualTo(2), "no watcher reported the late row");

        // Any full scan finds it; rescans are ten minutes apart here, and a new user folder asks for one.
        Directory.CreateDirectory(Path.Combine(Host.ExecutionRoot, Guid.NewGuid().ToString()));
        await UntilRow(fid, r => r.GetProperty("event_count").GetInt32() == 3 && r.GetProperty("error_count").GetInt32() == 1,
            "the rescan finds the late row");
    }
}
