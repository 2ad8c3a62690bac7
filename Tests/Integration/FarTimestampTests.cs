using System.Net;
using Kodosumi.Shared;
using Kodosumi.Shared.Demo;
using Kodosumi.Tests.Support;

namespace Kodosumi.Tests.Integration;

/// <summary>
/// A writer that stamps its rows in milliseconds (or worse) puts an execution tens of thousands of years
/// ahead, beyond the calendar the timeline's buckets are computed in. The timeline must still answer
/// 200 for everyone who can see that execution, counting it like any other.
/// </summary>
public class FarTimestampTests
{
    string _dataDir = "";
    IndexerHost _host = null!;
    HttpClient _client = null!;
    readonly List<double> _starts = [];

    [OneTimeSetUp]
    public async Task WriteOneExecutionInMillisecondsAndOneInSeconds()
    {
        _dataDir = TempDirs.Create("kodo-far");
        new DemoDataGenerator(new DemoOptions { Executions = 0 }).Generate(_dataDir);
        var random = new Random(7);
        var now = DateTimeOffset.UtcNow;
        foreach (var scale in new[] { 1.0, 1000.0, 1e6 })
        {
            var start = now.ToUnixTimeMilliseconds() / 1000.0 * scale;
            using var writer = SqliteCliWriter.Open(Path.Combine(_dataDir, "execution", DemoDataGenerator.Users[1].FolderName,
                Fids.New(now, random), "sqlite3.db"));
            writer.Append("status", "starting", start);
            writer.Append("status", "finished", start + 5);
            _starts.Add(start);
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

    [TestCase("")]
    [TestCase("&bucket=day")]
    [TestCase("&bucket=hour&tz=Europe/Berlin")]
    [TestCase("&bucket=day&tz=Pacific/Kiritimati")]
    public async Task The_timeline_answers_and_counts_every_execution(string query)
    {
        var response = await _client.GetAsync("/api/dashboard/timeline?hours=999999" + query);
        var body = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), body);
        var json = System.Text.Json.JsonDocument.Parse(body).RootElement;
        Assert.That(json.GetProperty("total").GetInt32(), Is.EqualTo(_starts.Count));
        var buckets = json.GetProperty("buckets").EnumerateArray().ToList();
        Assert.That(buckets.Sum(b => b.GetProperty("total").GetInt32()), Is.EqualTo(_starts.Count));
        // The execution stamped in seconds keeps its own, exact bucket.
        Assert.That(buckets.Any(b => b.GetProperty("start").GetDouble() <= _starts[0] && _starts[0] < b.GetProperty("end").GetDouble()
                                     && b.GetProperty("total").GetInt32() == 1), body);
    }
}
