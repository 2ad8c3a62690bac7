using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Kodosumi.Shared.Demo;
using Kodosumi.TestSupport;
using Kodosumi.Tests.Support;

namespace Kodosumi.Tests.Integration;

/// <summary>/metrics scraped without a token, its text format parsed and checked against a recount of the files.</summary>
[Category("Integration")]
public partial class MetricsTests : InProcessHostTest
{
    List<Expected> _expected = [];
    string _brokenFid = "";

    [OneTimeSetUp]
    public async Task Start()
    {
        CreateDataDir("kodo-metrics", new DemoOptions { Executions = 30, Seed = 17 });
        _expected = Recount.All(ExecutionRoot);
        // One execution whose database is empty: the index shows it with a problem.
        _brokenFid = Kodosumi.Shared.Fids.New(DateTimeOffset.UtcNow.AddMinutes(-5), new Random(1));
        var broken = Path.Combine(DataDir, "execution", DemoDataGenerator.Users[2].FolderName, _brokenFid);
        Directory.CreateDirectory(broken);
        File.WriteAllBytes(Path.Combine(broken, "sqlite3.db"), []);
        // A test here writes to an execution that finished long ago: all of them stay watched.
        await StartHostAsync(rescan: TimeSpan.FromMinutes(10),
            settings: new Dictionary<string, string?> { ["Indexer:WatchFinishedFor"] = "365.00:00:00" });
    }

    /// <summary>A sample of the Prometheus text format: name, labels, value.</summary>
    sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

    [GeneratedRegex("""^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})?\s+(?<value>\S+)(\s+\d+)?$""")]
    private static partial Regex SampleLine();

    [GeneratedRegex("""(?<key>[a-zA-Z_][a-zA-Z0-9_]*)="(?<value>(\\.|[^"\\])*)",?""")]
    private static partial Regex LabelPair();

    async Task<(string Text, List<Sample> Samples)> Scrape()
    {
        using var anonymous = Host.CreateClient();
        var response = await anonymous.GetAsync("/metrics");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), "open like /health: scrapers have no token");
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/plain"));
        var text = await response.Content.ReadAsStringAsync();
        var samples = new List<Sample>();
        foreach (var line in text.Split('\n').Where(l => l.Length > 0 && !l.StartsWith('#')))
        {
            var m = SampleLine().Match(line);
            Assert.That(m.Success, $"a sample line: {line}");
            var labels = LabelPair().Matches(m.Groups["labels"].Value).ToDictionary(p => p.Groups["key"].Value, p => p.Groups["value"].Value);
            samples.Add(new Sample(m.Groups["name"].Value, labels, double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture)));
        }
        return (text, samples);
    }

    static double Single(List<Sample> samples, string name, params (string Key, string Value)[] labels) =>
        samples.Single(s => s.Name == name && labels.All(l => s.Labels.GetValueOrDefault(l.Key) == l.Value)).Value;

    [Test]
    public async Task Executions_by_status_and_problems_match_a_recount()
    {
        var (text, samples) = await Scrape();
        var byStatus = _expected.CountBy(e => e.Status).ToDictionary();
        // The broken execution has no status yet.
        byStatus["unknown"] = byStatus.GetValueOrDefault("unknown") + 1;
        foreach (var status in new[] { "starting", "running", "awaiting", "finished", "error", "unknown" })
            Assert.That(Single(samples, "kodosumi_executions", ("status", status)), Is.EqualTo(byStatus.GetValueOrDefault(status)), status);
        Assert.That(Single(samples, "kodosumi_executions_indexed"), Is.EqualTo(_expected.Count + 1));
        Assert.That(Single(samples, "kodosumi_executions_with_problems"), Is.EqualTo(1));
        Assert.That(Single(samples, "kodosumi_folded_executions_total"), Is.GreaterThanOrEqualTo(_expected.Count + 1));
        Assert.That(Single(samples, "kodosumi_index_seconds_since_scan"), Is.GreaterThanOrEqualTo(0));

        // Quarantine is the indexer's own state, not the files': the gauge agrees with the rows that show it.
        using var client = Host.ClientFor(IndexerHost.Operator);
        var rows = System.Text.Json.JsonDocument.Parse(await client.GetStringAsync("/api/dashboard/running-agents?hours=999999&limit=5000"))
            .RootElement.GetProperty("agents").EnumerateArray();
        Assert.That(Single(samples, "kodosumi_executions_quarantined"),
            Is.EqualTo(rows.Count(r => r.TryGetProperty("quarantined", out var q) && q.ValueKind == System.Text.Json.JsonValueKind.Object)));

        Assert.That(text, Does.Not.Contain(_brokenFid));
        foreach (var e in _expected) Assert.That(text, Does.Not.Contain(e.Fid).And.Not.Contain(e.UserId), "no per-user data");
    }

    [Test]
    public async Task A_live_write_is_folded_counted_and_its_lag_observed()
    {
        var (_, before) = await Scrape();
        var folded = Single(before, "kodosumi_folded_executions_total");
        var lagCount = Single(before, "kodosumi_index_lag_seconds_count");

        var e = _expected.First(x => x.Status == "finished");
        using (var writer = SqliteCliWriter.Open(Path.Combine(Host.ExecutionRoot, e.UserId, e.Fid, "sqlite3.db")))
            writer.Append("stdout", "one more line", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0);

        List<Sample> after = [];
        await Wait.Until(async () => Single(after = (await Scrape()).Samples, "kodosumi_index_lag_seconds_count") > lagCount,
            TimeSpan.FromSeconds(10), "the fold of the new row is observed");
        Assert.That(Single(after, "kodosumi_folded_executions_total"), Is.GreaterThan(folded));
        var lagSum = Single(after, "kodosumi_index_lag_seconds_sum") - Single(before, "kodosumi_index_lag_seconds_sum");
        Assert.That(lagSum, Is.InRange(0, 10), "the row was written just now, and shown within the wait");
    }

    [Test]
    public async Task Request_latency_is_recorded_per_route_and_status()
    {
        using var client = Host.ClientFor(IndexerHost.Operator);
        Assert.That((await client.GetAsync("/api/dashboard/agent-stats")).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await client.GetAsync("/api/dashboard/errors?limit=0")).StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        var fid = _expected[0].Fid;
        Assert.That((await client.GetAsync($"/api/dashboard/execution/{fid}/details")).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var (text, samples) = await Scrape();
        Assert.That(text, Does.Contain("endpoint=\"api/dashboard/execution/{fid}/details\"").And.Not.Contain(fid),
            "routes are labelled by their pattern, never by the fid asked for");
        var counts = samples.Where(s => s.Name == "http_request_duration_seconds_count").ToList();
        Assert.That(counts.Where(s => s.Labels.GetValueOrDefault("endpoint") == "api/dashboard/agent-stats" && s.Labels["code"] == "200").Sum(s => s.Value),
            Is.GreaterThanOrEqualTo(1), string.Join("\n", counts.Select(s => string.Join(",", s.Labels))));
        Assert.That(counts.Where(s => s.Labels.GetValueOrDefault("endpoint") == "api/dashboard/errors" && s.Labels["code"] == "400").Sum(s => s.Value),
            Is.GreaterThanOrEqualTo(1));
    }

    [Test]
    public async Task Made_up_request_methods_add_no_series()
    {
        // The scrape is open and so is every route: a label per method a client invents would grow without bound.
        using var client = Host.CreateClient();
        for (var i = 0; i < 20; i++)
            Assert.That((await client.SendAsync(new HttpRequestMessage(new HttpMethod($"MADEUP{i}"), "/api/dashboard/agent-stats"))).StatusCode,
                Is.EqualTo(HttpStatusCode.MethodNotAllowed));
        var (_, samples) = await Scrape();
        var methods = samples.Select(s => s.Labels.GetValueOrDefault("method")).OfType<string>().ToHashSet();
        Assert.That(methods.Where(m => m.StartsWith("MADEUP", StringComparison.Ordinal)), Is.Empty, string.Join(", ", methods));
    }
}
