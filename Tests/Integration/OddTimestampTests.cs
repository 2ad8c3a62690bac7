using System.Net;
using System.Text.Json;
using Kodosumi.Shared;
using Kodosumi.Shared.Demo;
using Kodosumi.TestSupport;
using Kodosumi.Tests.Support;

namespace Kodosumi.Tests.Integration;

/// <summary>
/// Timestamps a writer should not write but can: rows stamped in milliseconds or microseconds (tens of
/// thousands of years ahead, beyond the calendar the timeline's buckets are computed in) and an
/// overflowing REAL (<c>9e999</c>), which SQLite keeps as infinity in <c>timestamp REAL NOT NULL</c>.
/// Everyone who can see such an execution must still get answers, never a 500.
/// </summary>
[Category("Integration")]
public class OddTimestampTests : InProcessHostTest
{
    string _infiniteFid = "";
    double _inSeconds;
    const int Executions = 4;

    [OneTimeSetUp]
    public async Task WriteExecutions()
    {
        CreateDataDir("kodo-odd-time", new DemoOptions { Executions = 0 });
        var random = new Random(7);
        var now = DateTimeOffset.UtcNow;
        SqliteCliWriter Open(string fid) =>
            SqliteCliWriter.Open(Path.Combine(DataDir, "execution", DemoDataGenerator.Users[1].FolderName, fid, "sqlite3.db"));
        _inSeconds = now.ToUnixTimeMilliseconds() / 1000.0;
        foreach (var scale in new[] { 1.0, 1e3, 1e6 })
        {
            using var writer = Open(Fids.New(now, random));
            writer.Append("status", "starting", _inSeconds * scale);
            writer.Append("status", "finished", _inSeconds * scale + 5);
        }
        _infiniteFid = Fids.New(now, random);
        using (var writer = Open(_infiniteFid))
        {
            writer.Append("status", "starting", _inSeconds);
            writer.Run("INSERT INTO monitor (timestamp, kind, message) VALUES (9e999, 'error', 'boom');");
            writer.Run("INSERT INTO monitor (timestamp, kind, message) VALUES (-9e999, 'status', 'finished');");
        }
        await StartHostAsync();
    }

    [TestCase("")]
    [TestCase("&bucket=day")]
    [TestCase("&bucket=hour&tz=Europe/Berlin")]
    [TestCase("&bucket=day&tz=Pacific/Kiritimati")]
    public async Task The_timeline_answers_and_counts_every_execution(string query)
    {
        var response = await Client.GetAsync("/api/dashboard/timeline?hours=999999" + query);
        var body = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), body);
        var json = JsonDocument.Parse(body).RootElement;
        Assert.That(json.GetProperty("total").GetInt32(), Is.EqualTo(Executions));
        var buckets = json.GetProperty("buckets").EnumerateArray().ToList();
        Assert.That(buckets.Sum(b => b.GetProperty("total").GetInt32()), Is.EqualTo(Executions));
        // The execution stamped in seconds keeps its own, exact bucket.
        Assert.That(buckets.Any(b => b.GetProperty("start").GetDouble() <= _inSeconds && _inSeconds < b.GetProperty("end").GetDouble()
                                     && b.GetProperty("total").GetInt32() == 1), body);
    }

    [TestCase("running-agents?hours=999999")]
    [TestCase("running-agents?hours=999999&sort=runtime&order=desc&limit=1")]
    [TestCase("errors?hours=999999")]
    [TestCase("agent-stats?hours=999999")]
    [TestCase("agents?hours=999999")]
    [TestCase("running-agents/export?hours=999999&format=ndjson")]
    [TestCase("running-agents/export?hours=999999&format=csv")]
    public async Task Answers_showing_an_infinite_timestamp_are_not_500(string path)
    {
        var response = await Client.GetAsync("/api/dashboard/" + path);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
    }

    [Test]
    public async Task Details_of_an_execution_with_an_infinite_timestamp_show_it_as_null()
    {
        var details = await Client.GetJson($"/api/dashboard/execution/{_infiniteFid}/details");
        var events = details.GetProperty("events").EnumerateArray().ToList();
        // In time order, as Kodosumi sends them: -inf, the finite one, +inf.
        Assert.That(events.Select(e => e.GetProperty("timestamp").ValueKind), Is.EqualTo(new[] { JsonValueKind.Null, JsonValueKind.Number, JsonValueKind.Null }));
        Assert.That(events.Select(e => e.Str("kind")), Is.EqualTo(new[] { "status", "status", "error" }));
    }

    [Test]
    public async Task A_cursor_after_an_infinite_runtime_reaches_the_next_page()
    {
        var first = await Client.GetJson("/api/dashboard/running-agents?hours=999999&sort=runtime&order=desc&limit=1");
        Assert.That(first.GetProperty("agents")[0].Str("fid"), Is.EqualTo(_infiniteFid));
        Assert.That(first.GetProperty("agents")[0].GetProperty("runtime").ValueKind, Is.EqualTo(JsonValueKind.Null));
        var cursor = Uri.EscapeDataString(first.Str("next_cursor"));
        var second = await Client.GetJson($"/api/dashboard/running-agents?hours=999999&sort=runtime&order=desc&limit=1&cursor={cursor}");
        Assert.That(second.GetProperty("agents")[0].Str("fid"), Is.Not.EqualTo(_infiniteFid));
    }
}
