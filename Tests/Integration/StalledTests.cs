using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Kodosumi.Api.Features.Dashboard.Stalls;
using Kodosumi.Api.Hosting;
using Kodosumi.Indexer.Store;
using Kodosumi.Shared;
using Kodosumi.Shared.Demo;
using Kodosumi.TestSupport;
using Kodosumi.Shared.Model;
using Kodosumi.Tests.Auth;
using Kodosumi.Tests.Support;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Kodosumi.Tests.Integration;

/// <summary>
/// Stalled runs (running or starting, latest event older than <c>Dashboard:StalledAfter</c>, 30 minutes by
/// default) on a clock the test moves, against the databases recounted with plain SQL: rows, filters, counts,
/// the metric, answers kept under an ETag, and the live stream's <c>stalled</c> and <c>status</c> events.
/// </summary>
[Category("Integration")]
public class StalledTests : InProcessHostTest
{
    const string Dashboard = "/api/dashboard";
    const double After = 30 * 60;
    /// <summary>How far the tests move the clock; executions whose last event lies this close to a line they face are left out of the data.</summary>
    static readonly TimeSpan[] Moves = [TimeSpan.Zero, TimeSpan.FromMinutes(15), TimeSpan.FromHours(3)];
    static readonly TimeSpan Margin = TimeSpan.FromMinutes(3);
    static readonly TimeSpan CheckInterval = TimeSpan.FromMilliseconds(200);

    readonly MovableClock _clock = new();
    readonly WebhookReceiver _receiver = new();
    /// <summary>Running, silent for 20 minutes: stalls when the clock moves 15 minutes on.</summary>
    string _silent = "";
    /// <summary>Starting, silent for 45 minutes: stalled from the start.</summary>
    string _dead = "";
    string _fresh = "";
    string _waiting = "";
    /// <summary>Running, silent for 20 minutes, and written to by the stream's test (so no other test relies on it).</summary>
    string _wakes = "";

    [OneTimeSetUp]
    public async Task Start()
    {
        var now = DateTimeOffset.UtcNow;
        CreateDataDir("kodo-stalled", new DemoOptions { Executions = 300, Seed = 31, LargeResultEvery = 0, Now = now });
        RemoveNearTheLines(now);
        var t = now.ToUnixTimeMilliseconds() / 1000.0;
        _silent = Write(DemoDataGenerator.Users[1].FolderName, t - 3600, t - 20 * 60, "running", 1);
        _dead = Write(DemoDataGenerator.Users[2].FolderName, t - 3000, t - 45 * 60, "starting", 2);
        _fresh = Write(DemoDataGenerator.Users[1].FolderName, t - 600, t - 60, "running", 3);
        _waiting = Write(DemoDataGenerator.Users[2].FolderName, t - 9000, t - 7200, "awaiting", 4);
        _wakes = Write(DemoDataGenerator.Users[1].FolderName, t - 3500, t - 20 * 60, "running", 5);
        await StartHostAsync(settings: new Dictionary<string, string?>
        {
            ["Dashboard:StalledCheckInterval"] = CheckInterval.ToString(),
            ["Stream:HeartbeatInterval"] = "00:00:00.300",
            ["Alerts:Webhooks:0:Url"] = _receiver.Url("stalled"),
            ["Alerts:Webhooks:0:Events"] = "stalled",
        }, reconfigure: host => host.WithWebHostBuilder(b => b.ConfigureTestServices(s => s.AddSingleton<TimeProvider>(_clock))));
    }

    [OneTimeTearDown]
    public void Stop()
    {
        StopHost();
        _receiver.Dispose();
    }

    [SetUp]
    public void ClockNow() => _clock.Ahead = TimeSpan.Zero;

    /// <summary>Generated runs whose silence ends near a line a test checks would flip while it runs: they are removed.</summary>
    void RemoveNearTheLines(DateTimeOffset now)
    {
        foreach (var e in Recount.All(ExecutionRoot))
        {
            if (e.Status is not ("running" or "starting") || e.Last is not { } last) continue;
            if (Moves.Any(m => Math.Abs(last - (now + m).ToUnixTimeSeconds() + After) < Margin.TotalSeconds))
                Directory.Delete(Path.Combine(ExecutionRoot, e.UserId, e.Fid), recursive: true);
        }
    }

    string Write(string user, double created, double last, string status, int seed)
    {
        var fid = Fids.New(DateTimeOffset.FromUnixTimeMilliseconds((long)(created * 1000)), new Random(seed));
        using var writer = SqliteCliWriter.Open(Path.Combine(ExecutionRoot, user, fid, "sqlite3.db"));
        writer.Append("status", "starting", created);
        writer.Append("meta", """{"dict": {"summary": "Stall Probe"}}""", created + 1);
        if (status != "starting") writer.Append("status", status, last);
        else writer.Append("stdout", "waiting for a worker", last);
        writer.Close();
        return fid;
    }

    /// <summary>What the files say is stalled at the clock's now.</summary>
    HashSet<string> ExpectedStalled() =>
        Recount.All(ExecutionRoot).Where(e => e.Status is "running" or "starting" && e.Last < _clock.UnixNow - After).Select(e => e.Fid).ToHashSet();

    static List<JsonElement> Rows(JsonElement json, string list) => json.GetProperty(list).EnumerateArray().ToList();

    static HashSet<string> FidsOf(IEnumerable<JsonElement> rows) => rows.Select(r => r.Str("fid")).ToHashSet();

    [Test]
    public async Task A_row_is_stalled_exactly_when_the_recount_says_so_as_the_clock_moves()
    {
        foreach (var move in Moves)
        {
            _clock.Ahead = move;
            var expected = ExpectedStalled();
            var rows = Rows(await Client.GetJson($"{Dashboard}/running-agents?hours=999999"), "agents");
            Assert.That(FidsOf(rows.Where(r => r.GetProperty("stalled").GetBoolean())), Is.EquivalentTo(expected), $"{move} ahead");
            Assert.That(expected, Does.Contain(_dead), "starting and silent for 45 minutes");
            Assert.That(expected, Does.Not.Contain(_waiting), "awaiting a person is no stall");
            Assert.That(expected.Contains(_silent), Is.EqualTo(move > TimeSpan.Zero), $"silent for 20 minutes, {move} ahead");
            Assert.That(expected.Contains(_fresh), Is.EqualTo(move >= TimeSpan.FromHours(1)), $"silent for a minute, {move} ahead");
        }
    }

    [Test]
    public async Task An_answer_kept_under_its_etag_is_not_reused_once_the_clock_has_left_its_window_slot()
    {
        var first = await Client.GetAsync($"{Dashboard}/running-agents?hours=999999&stalled=true");
        var etag = first.Headers.ETag;
        Assert.That(etag, Is.Not.Null);
        Assert.That(FidsOf(Rows(JsonDocument.Parse(await first.Content.ReadAsStringAsync()).RootElement, "agents")), Does.Not.Contain(_silent));

        _clock.Ahead = TimeSpan.FromMinutes(15);
        var request = new HttpRequestMessage(HttpMethod.Get, $"{Dashboard}/running-agents?hours=999999&stalled=true");
        request.Headers.IfNoneMatch.Add(etag!);
        var again = await Client.SendAsync(request);
        Assert.That(again.StatusCode, Is.EqualTo(HttpStatusCode.OK), "a 304 would keep the list without the run that stalled since");
        Assert.That(FidsOf(Rows(JsonDocument.Parse(await again.Content.ReadAsStringAsync()).RootElement, "agents")), Does.Contain(_silent));
    }

    [Test]
    public async Task The_stalled_filter_and_counts_agree_with_the_recount_everywhere()
    {
        var expected = ExpectedStalled();
        var all = Recount.All(ExecutionRoot);
        var notStalled = all.Select(e => e.Fid).Where(f => !expected.Contains(f)).ToHashSet();
        Assert.That(expected, Has.Count.GreaterThan(1));

        Assert.That(FidsOf(Rows(await Client.GetJson($"{Dashboard}/running-agents?hours=999999&stalled=true"), "agents")), Is.EquivalentTo(expected));
        Assert.That(FidsOf(Rows(await Client.GetJson($"{Dashboard}/running-agents?hours=999999&stalled=false"), "agents")), Is.EquivalentTo(notStalled));
        Assert.That(FidsOf(Rows(await Client.GetJson($"{Dashboard}/running-agents?hours=999999&stalled=true&status=starting"), "agents")),
            Is.EquivalentTo(expected.Where(f => all.Single(e => e.Fid == f).Status == "starting")));

        var export = await Client.GetStringAsync($"{Dashboard}/running-agents/export?format=ndjson&hours=999999&stalled=true");
        Assert.That(export.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Str("fid")),
            Is.EquivalentTo(expected));

        var timeline = await Client.GetJson($"{Dashboard}/timeline?hours=999999&stalled=true");
        Assert.That(FidsOf(Rows(timeline, "executions")), Is.EquivalentTo(expected));
        Assert.That(timeline.GetProperty("buckets").EnumerateArray().Sum(b => b.GetProperty("total").GetInt32()), Is.EqualTo(expected.Count));

        var agents = await Client.GetJson($"{Dashboard}/agents");
        var stalledPerAgent = all.Where(e => expected.Contains(e.Fid)).CountBy(e => e.AgentName).ToDictionary();
        Assert.That(Rows(agents, "agents").Where(a => a.GetProperty("stalled").GetInt32() > 0)
            .ToDictionary(a => a.Str("agent_name"), a => a.GetProperty("stalled").GetInt32()), Is.EquivalentTo(stalledPerAgent));
        Assert.That((await Client.GetJson($"{Dashboard}/agents?stalled=true")).GetProperty("total").GetInt32(), Is.EqualTo(expected.Count));

        Assert.That((await Client.GetJson($"{Dashboard}/agent-stats")).GetProperty("stalled").GetInt32(), Is.EqualTo(expected.Count),
            "all time: the kept statistics with the stalled count of now");
        var onlyStalled = await Client.GetJson($"{Dashboard}/agent-stats?stalled=true");
        Assert.That(onlyStalled.GetProperty("total_executions").GetInt32(), Is.EqualTo(expected.Count));
        Assert.That(onlyStalled.GetProperty("stalled").GetInt32(), Is.EqualTo(expected.Count));
        Assert.That((await Client.GetJson($"{Dashboard}/agent-stats?stalled=false")).GetProperty("stalled").GetInt32(), Is.Zero);
    }

    [Test]
    public async Task The_metric_counts_the_stalled_runs_of_now()
    {
        foreach (var move in new[] { TimeSpan.Zero, TimeSpan.FromMinutes(15) })
        {
            _clock.Ahead = move;
            var expected = ExpectedStalled().Count;
            var text = await Client.GetStringAsync("/metrics");
            var line = text.Split('\n').Single(l => l.StartsWith("kodosumi_executions_stalled ", StringComparison.Ordinal));
            Assert.That(double.Parse(line.Split(' ')[1], CultureInfo.InvariantCulture), Is.EqualTo(expected), $"{move} ahead");
        }
    }

    [TestCase("running-agents?stalled=maybe")]
    [TestCase("timeline?stalled=2")]
    [TestCase("agent-stats?stalled=yes")]
    public async Task A_stalled_filter_that_is_no_boolean_gets_400_naming_it(string query)
    {
        var response = await Client.GetAsync($"{Dashboard}/{query}");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.That(body.GetProperty("errors").EnumerateArray().Select(e => e.Str("name")), Does.Contain("stalled"));
    }

    [Test]
    public void A_stall_line_of_zero_stalls_nothing()
    {
        var off = new StallClock(Options.Create(new DashboardOptions { StalledAfter = TimeSpan.Zero }), TimeProvider.System).Now();
        var silentForAYear = new ExecutionSummary { Status = "running", LastTimestamp = DateTimeOffset.UtcNow.AddYears(-1).ToUnixTimeSeconds() };
        Assert.That(off.IsStalled(silentForAYear), Is.False);
        var on = new StallClock(Options.Create(new DashboardOptions()), TimeProvider.System).Now();
        Assert.That(on.IsStalled(silentForAYear), Is.True);
        Assert.That(on.IsStalled(silentForAYear with { Status = "awaiting" }), Is.False);
    }

    [Test]
    public async Task The_stream_says_stalled_when_time_alone_crosses_the_line_and_status_when_the_run_moves_again()
    {
        await using var stream = await StreamTests.SseClient.Open(OperatorClient());
        // The watch may last have looked while an earlier test had the clock ahead: let it see the present first.
        await _clock.TicksOf(CheckInterval);
        _clock.Ahead = TimeSpan.FromMinutes(15);
        var stalled = await stream.Until((i, d) => i.EventType == IndexEvent.Stalled && d.Str("fid") == _wakes, "the silent run stalls");
        var data = JsonDocument.Parse(stalled.Data).RootElement;
        Assert.That(data.Str("status"), Is.EqualTo("running"));
        Assert.That(data.GetProperty("timestamp").GetDouble(), Is.EqualTo(Recount.All(ExecutionRoot).Single(e => e.Fid == _wakes).Last!.Value).Within(1e-6),
            "the time of its latest event");
        Assert.That(stream.Received.Where(i => i.EventType == IndexEvent.Stalled).Select(i => JsonDocument.Parse(i.Data).RootElement.Str("fid")),
            Does.Not.Contain(_dead), "a run stalled before anyone watched did not cross the line now");

        using (var writer = SqliteCliWriter.Open(Path.Combine(ExecutionRoot, DemoDataGenerator.Users[1].FolderName, _wakes, "sqlite3.db")))
            writer.Append("action", """{"step": "alive again"}""", _clock.UnixNow);
        var moved = await stream.Until((i, d) => i.EventType == IndexEvent.StatusChanged && d.Str("fid") == _wakes, "the run moves again");
        var again = JsonDocument.Parse(moved.Data).RootElement;
        Assert.That(again.Str("status"), Is.EqualTo("running"));
        Assert.That(again.Str("previous_status"), Is.EqualTo("running"));
        Assert.That(stream.Received.Count(i => i.EventType == IndexEvent.Stalled && JsonDocument.Parse(i.Data).RootElement.Str("fid") == _wakes),
            Is.EqualTo(1), "one crossing, one event");

        var alerts = await _receiver.Until("stalled", r => r.Any(h => h.Json.GetProperty("fid").GetString() == _wakes), "the stalled alert is posted");
        // Other tests move the clock back and forth too: each crossing is one alert, this one is the last.
        var alert = alerts.Last(h => h.Json.GetProperty("fid").GetString() == _wakes).Json;
        Assert.That(alert.GetProperty("event").GetString(), Is.EqualTo("stalled"));
        Assert.That(alert.GetProperty("status").GetString(), Is.EqualTo("running"));
        Assert.That(alerts.Select(h => h.Json.GetProperty("fid").GetString()), Does.Not.Contain(_dead), "stalled before the service watched: no alert");
    }

    /// <summary>A client of the host with the moved clock (the one the service runs on), signed in as the operator.</summary>
    HttpClient OperatorClient()
    {
        var client = Factory.CreateClient();
        client.DefaultRequestHeaders.Add("KODOSUMI_API_KEY", TestJwt.For(IndexerHost.Operator, Host.Secret));
        return client;
    }
}
