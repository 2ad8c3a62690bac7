using System.Net;
using Kodosumi.Shared;
using Kodosumi.Shared.Demo;
using Kodosumi.Tests.Support;

namespace Kodosumi.Tests.Integration;

/// <summary>
/// SQLite stores an overflowing REAL (<c>9e999</c>) as infinity, and <c>timestamp REAL NOT NULL</c> accepts it.
/// One such row must not turn the answers of everyone who can see its execution into 500s
/// (JSON has no infinity).
/// </summary>
public class InfiniteTimestampTests
{
    string _dataDir = "";
    IndexerHost _host = null!;
    HttpClient _client = null!;
    string _fid = "";

    [OneTimeSetUp]
    public async Task WriteAnExecutionWithAnInfiniteTimestamp()
    {
        _dataDir = TempDirs.Create("kodo-inf");
        new DemoDataGenerator(new DemoOptions { Executions = 0 }).Generate(_dataDir);
        var now = DateTimeOffset.UtcNow;
        _fid = Fids.New(now, new Random(3));
        using var writer = SqliteCliWriter.Open(Path.Combine(_dataDir, "execution", DemoDataGenerator.Users[1].FolderName, _fid, "sqlite3.db"));
        writer.Append("status", "starting", now.ToUnixTimeSeconds());
        writer.Run("INSERT INTO monitor (timestamp, kind, message) VALUES (9e999, 'error', 'boom');");
        writer.Run("INSERT INTO monitor (timestamp, kind, message) VALUES (-9e999, 'status', 'finished');");
        using (var other = SqliteCliWriter.Open(Path.Combine(_dataDir, "execution", DemoDataGenerator.Users[1].FolderName, Fids.New(now, new Random(4)), "sqlite3.db")))
        {
            other.Append("status", "starting", now.ToUnixTimeSeconds());
            other.Append("status", "finished", now.ToUnixTimeSeconds() + 3);
        }
        _host = new IndexerHost(_dataDir);
        _client = await _host.StartAsync();
    }

    [OneTimeTearDown]
    public void Stop()
    {
        _client.Dispose();
        _host.Dispose();
        TempDirs.Delete(_dataDir);
    }

    [TestCase("running-agents?hours=999999")]
    [TestCase("running-agents?hours=999999&sort=runtime&order=desc&limit=1")]
    [TestCase("errors?hours=999999")]
    [TestCase("timeline?hours=999999")]
    [TestCase("agent-stats?hours=999999")]
    [TestCase("agents?hours=999999")]
    [TestCase("running-agents/export?hours=999999&format=ndjson")]
    [TestCase("running-agents/export?hours=999999&format=csv")]
    public async Task Answers_are_not_500(string path)
    {
        var response = await _client.GetAsync("/api/dashboard/" + path);
        var body = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), body);
        Assert.That(body, Does.Contain(_fid).Or.Contain("total"));
    }

    [Test]
    public async Task A_cursor_after_an_infinite_runtime_reaches_the_next_page()
    {
        var first = await _client.GetJson("/api/dashboard/running-agents?hours=999999&sort=runtime&order=desc&limit=1");
        Assert.That(first.GetProperty("agents")[0].Str("fid"), Is.EqualTo(_fid));
        Assert.That(first.GetProperty("agents")[0].GetProperty("runtime").ValueKind, Is.EqualTo(System.Text.Json.JsonValueKind.Null));
        var cursor = Uri.EscapeDataString(first.Str("next_cursor"));
        var second = await _client.GetJson($"/api/dashboard/running-agents?hours=999999&sort=runtime&order=desc&limit=1&cursor={cursor}");
        Assert.That(second.GetProperty("agents")[0].Str("fid"), Is.Not.EqualTo(_fid));
    }

    [Test]
    public async Task Details_are_not_500()
    {
        var response = await _client.GetAsync($"/api/dashboard/execution/{_fid}/details");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
    }
}
