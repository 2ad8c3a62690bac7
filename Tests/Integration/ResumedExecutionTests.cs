using System.Net;
using System.Text.Json;
using Kodosumi.Shared;
using Kodosumi.Shared.Demo;
using Kodosumi.TestSupport;
using Kodosumi.Tests.Support;

namespace Kodosumi.Tests.Integration;

/// <summary>
/// Executions that have not finished but have been quiet for days (a run awaiting a person's answer, a WAL left
/// by an earlier writer) show a new row as soon as a separate writer commits it, without waiting for a rescan.
/// </summary>
[Category("Integration")]
public class ResumedExecutionTests : InProcessHostTest
{
    const string Api = "/api/dashboard";
    /// <summary>Far below the rescan interval (10 minutes here): only a watcher can be this quick.</summary>
    static readonly TimeSpan Soon = TimeSpan.FromSeconds(10);

    readonly List<SqliteCliWriter> _earlierWriters = [];
    readonly Dictionary<string, string> _quiet = new();
    string _finishedLongAgo = "";

    [OneTimeSetUp]
    public async Task Start()
    {
        CreateDataDir("kodo-resumed", new DemoOptions { Executions = 10, Seed = 8 });
        var userDir = Path.Combine(DataDir, "execution", DemoDataGenerator.Users[2].FolderName);
        var days = 2;
        foreach (var status in new[] { "running", "awaiting", "starting", "" })
        {
            foreach (var keepWal in new[] { true, false })
            {
                var started = DateTimeOffset.UtcNow.AddDays(-++days);
                var fid = Fids.New(started, Random.Shared);
                var writer = SqliteCliWriter.Open(Path.Combine(userDir, fid, "sqlite3.db"));
                var t = started.ToUnixTimeMilliseconds() / 1000.0;
                writer.Append("meta", """{"dict": {"summary": "Approval Flow"}}""", t);
                if (status.Length > 0) writer.Append("status", status, t + 5);
                // A WAL left by a writer that still holds the database, or a database closed and checkpointed.
                if (keepWal) _earlierWriters.Add(writer);
                else writer.Dispose();
                _quiet[fid] = status.Length > 0 ? status : "unknown";
            }
        }
        var finishedAt = DateTimeOffset.UtcNow.AddDays(-3);
        _finishedLongAgo = Fids.New(finishedAt, Random.Shared);
        using (var writer = SqliteCliWriter.Open(Path.Combine(userDir, _finishedLongAgo, "sqlite3.db")))
        {
            writer.Append("status", "running", finishedAt.ToUnixTimeMilliseconds() / 1000.0);
            writer.Append("status", "finished", finishedAt.ToUnixTimeMilliseconds() / 1000.0 + 60);
        }
        await StartHostAsync(rescan: TimeSpan.FromMinutes(10));
    }

    [OneTimeTearDown]
    public void Stop()
    {
        foreach (var writer in _earlierWriters) writer.Dispose();
        StopHost();
    }

    async Task<JsonElement> Row(string fid)
    {
        var response = await Client.GetAsync($"{Api}/execution/{fid}/details?limit=1");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("metadata");
    }

    [Test]
    public async Task A_row_committed_to_an_execution_quiet_for_days_shows_without_a_rescan()
    {
        Assert.That(_quiet, Has.Count.EqualTo(8));
        foreach (var (fid, status) in _quiet)
        {
            var before = await Row(fid);
            Assert.That(before.Str("status"), Is.EqualTo(status), "indexed as it was");
            var events = before.GetProperty("event_count").GetInt32();
            var path = Path.Combine(Host.ExecutionRoot, DemoDataGenerator.Users[2].FolderName, fid, "sqlite3.db");
            using var writer = SqliteCliWriter.Open(path);
            writer.Append("status", "finished");
            await Wait.Until(async () => await Row(fid) is var row && row.Str("status") == "finished" && row.GetProperty("event_count").GetInt32() == events + 1,
                Soon, $"the {status} execution {fid}, quiet for days, shows its new row");
        }
    }

    [Test]
    public async Task A_finished_execution_is_not_kept_watched()
    {
        var health = await Client.GetJson("/health/ready");
        var watched = health.GetProperty("checks").GetProperty("index").GetProperty("data").GetProperty("watched_folders").GetInt32();
        var rows = (await Client.GetJson($"{Api}/running-agents?hours=999999")).GetProperty("agents").EnumerateArray().ToList();
        var live = rows.Count(r => r.Str("status") is not ("finished" or "error"));
        // A finished one stays watched a few minutes after its last event.
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var justFinished = rows.Count(r => r.Str("status") is "finished" or "error" && r.NumOrNull("end_time") > now - 6 * 60);
        var users = Directory.GetDirectories(Host.ExecutionRoot).Length;
        Assert.That((await Row(_finishedLongAgo)).Str("status"), Is.EqualTo("finished"));
        Assert.That(live, Is.GreaterThanOrEqualTo(_quiet.Count));
        // The root, the user folders and each unfinished execution; the one finished days ago is not among them.
        Assert.That(watched, Is.InRange(1 + users + live, 1 + users + live + justFinished), "every unfinished execution is watched, and no more");
    }
}
