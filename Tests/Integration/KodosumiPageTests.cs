using System.Net;
using System.Text.Json;
using Kodosumi.Shared.Demo;
using Kodosumi.Tests.Support;
using Microsoft.Data.Sqlite;

namespace Kodosumi.Tests.Integration;

/// <summary>
/// Plays Kodosumi's own dashboard page (v1.1.1): the same calls with exactly its parameters (no limit, its time
/// ranges, its User filter sending a name), the same arithmetic over the answers, against a recount of the files.
/// </summary>
[Category("Integration")]
public class KodosumiPageTests : InProcessHostTest
{
    /// <summary>The page's time ranges; "All time" is sent as 999999.</summary>
    static readonly int[] PageRanges = [1, 6, 24, 168, 720, 999999];
    /// <summary>How late a window may be: an answer stands for one window slot (a minute by default).</summary>
    const double SlackSeconds = 120;

    List<Expected> _all = null!;
    string _longFid = "";

    [OneTimeSetUp]
    public async Task Start()
    {
        CreateDataDir("kodo-page", new DemoOptions { Executions = 5_200, Seed = 19, LargeResultEvery = 0 });
        AddOddExecutions(Path.Combine(DataDir, "execution", DemoDataGenerator.Users[1].FolderName));
        _longFid = WriteOutOfOrder(Path.Combine(DataDir, "execution", DemoDataGenerator.Users[2].FolderName), 2_600);
        _all = Recount.All(ExecutionRoot);
        await StartHostAsync(rescan: TimeSpan.FromMinutes(10));
    }

    /// <summary>What the page's numbers need beyond the demo: no event yet, a single event (runtime 0), an error status without an error event.</summary>
    static void AddOddExecutions(string userDir)
    {
        var now = DateTimeOffset.UtcNow;
        Write(userDir, now.AddMinutes(-5), []);
        Write(userDir, now.AddMinutes(-4), [(now.AddMinutes(-4).ToUnixTimeSeconds(), "status", "running")]);
        var t = now.AddMinutes(-3).ToUnixTimeSeconds();
        Write(userDir, now.AddMinutes(-3), [(t, "status", "running"), (t + 2, "status", "error")]);
    }

    /// <summary>An execution whose events were written out of time order, several to a timestamp.</summary>
    static string WriteOutOfOrder(string userDir, int count)
    {
        var random = new Random(7);
        var start = DateTimeOffset.UtcNow.AddHours(-2).ToUnixTimeSeconds();
        var events = Enumerable.Range(0, count)
            .Select(i => ((double)start + random.Next(count / 3), i % 97 == 0 ? "error" : "stdout", $"line {i}"))
            .ToArray();
        return Write(userDir, DateTimeOffset.UtcNow.AddHours(-2), events);
    }

    static string Write(string userDir, DateTimeOffset created, (double Timestamp, string Kind, string Message)[] events)
    {
        var fid = Kodosumi.Shared.Fids.New(created, Random.Shared);
        var dir = Directory.CreateDirectory(Path.Combine(userDir, fid)).FullName;
        using var db = new SqliteConnection($"Data Source={Path.Combine(dir, "sqlite3.db")};Pooling=False");
        db.Open();
        using var create = db.CreateCommand();
        create.CommandText = "CREATE TABLE monitor (id INTEGER PRIMARY KEY AUTOINCREMENT, timestamp REAL NOT NULL, kind TEXT NOT NULL, message TEXT NOT NULL)";
        create.ExecuteNonQuery();
        foreach (var (timestamp, kind, message) in events)
        {
            using var insert = db.CreateCommand();
            insert.CommandText = "INSERT INTO monitor (timestamp, kind, message) VALUES ($t, $k, $m)";
            insert.Parameters.AddWithValue("$t", timestamp);
            insert.Parameters.AddWithValue("$k", kind);
            insert.Parameters.AddWithValue("$m", message);
            insert.ExecuteNonQuery();
        }
        return fid;
    }

    /// <summary>The executions a window of <paramref name="hours"/> must hold, and those it may hold (started near its edge).</summary>
    (HashSet<string> Must, HashSet<string> May) Window(IEnumerable<Expected> rows, int hours, double askedAt)
    {
        var cutoff = hours >= 999999 ? double.NegativeInfinity : askedAt - hours * 3600.0;
        var list = rows.ToList();
        return (list.Where(e => e.StartTime >= cutoff + SlackSeconds).Select(e => e.Fid).ToHashSet(),
                list.Where(e => e.StartTime >= cutoff - SlackSeconds).Select(e => e.Fid).ToHashSet());
    }

    static double Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;

    [Test]
    public void The_data_set_is_larger_than_any_old_page() => Assert.That(_all, Has.Count.GreaterThan(5_000));

    [TestCaseSource(nameof(PageRanges))]
    public async Task Every_time_range_shows_every_execution_and_the_page_numbers_match_the_recount(int hours)
    {
        var askedAt = Now();
        var running = await Client.GetJson($"/api/dashboard/running-agents?hours={hours}");
        var stats = await Client.GetJson("/api/dashboard/agent-stats");
        var timeline = await Client.GetJson($"/api/dashboard/timeline?hours={hours}");
        var agents = running.GetProperty("agents").EnumerateArray().ToList();
        var (must, may) = Window(_all, hours, askedAt);
        var listed = agents.Select(a => a.Str("fid")).ToHashSet();

        Assert.Multiple(() =>
        {
            // "Showing N of M executions"
            Assert.That(agents, Has.Count.EqualTo(running.GetProperty("total").GetInt32()), "the list is not cut");
            Assert.That(must.Except(listed), Is.Empty, "every execution of the window is listed");
            Assert.That(listed.Except(may), Is.Empty, "nothing outside the window is listed");
            Assert.That(agents.Select(a => a.GetProperty("start_time").GetDouble()), Is.Ordered.Descending, "newest first");

            // The boxes: filtered / overall, computed as the page computes them.
            var byFid = _all.ToDictionary(e => e.Fid);
            var shown = agents.Select(a => byFid[a.Str("fid")]).ToList();
            Assert.That(agents.Count(a => a.Str("status") == "running"), Is.EqualTo(shown.Count(e => e.Status == "running")));
            Assert.That(agents.Count(a => a.GetProperty("error").ValueKind == JsonValueKind.String && a.Str("error").Length > 0),
                Is.EqualTo(shown.Count(e => e.HasErrorText)), "the page's error count");
            Assert.That(agents.Sum(a => a.NumOrNull("runtime") ?? 0), Is.EqualTo(shown.Sum(e => e.Runtime ?? 0)).Within(1e-6), "the page's runtime sum");

            Assert.That(stats.GetProperty("total_executions").GetInt32(), Is.EqualTo(_all.Count));
            Assert.That(stats.GetProperty("by_status").TryGetProperty("running", out var r) ? r.GetInt32() : 0, Is.EqualTo(_all.Count(e => e.Status == "running")));
            Assert.That(stats.GetProperty("error_rate").GetDouble(), Is.EqualTo((double)_all.Count(e => e.HasErrorText) / _all.Count).Within(1e-12));
            Assert.That(stats.GetProperty("avg_runtime").GetDouble(),
                Is.EqualTo(_all.Where(e => e.HasMeasuredRuntime).Average(e => e.Runtime!.Value)).Within(1e-6), "zero runtimes are left out, as Kodosumi does");

            // The timeline draws every row of the window, oldest first.
            var drawn = timeline.GetProperty("executions").EnumerateArray().ToList();
            Assert.That(drawn, Has.Count.EqualTo(timeline.GetProperty("total").GetInt32()));
            Assert.That(must.Except(drawn.Select(e => e.Str("fid"))), Is.Empty, "every execution of the window is drawn");
            Assert.That(drawn.Select(e => e.GetProperty("start_time").GetDouble()), Is.Ordered.Ascending);
        });
    }

    [Test]
    public async Task All_time_with_no_filter_shows_the_same_rate_filtered_and_overall()
    {
        var running = await Client.GetJson("/api/dashboard/running-agents?hours=999999");
        var stats = await Client.GetJson("/api/dashboard/agent-stats");
        var agents = running.GetProperty("agents").EnumerateArray().ToList();
        var filteredRate = (double)agents.Count(a => a.GetProperty("error").ValueKind == JsonValueKind.String && a.Str("error").Length > 0) / agents.Count;
        Assert.That(agents, Has.Count.EqualTo(_all.Count));
        Assert.That(filteredRate, Is.EqualTo(stats.GetProperty("error_rate").GetDouble()).Within(1e-12));
    }

    [Test]
    public async Task The_user_filter_finds_a_user_by_the_name_the_page_sends()
    {
        var alice = DemoDataGenerator.Users[1];
        var askedAt = Now();
        var byName = await Client.GetJson($"/api/dashboard/running-agents?hours=720&user={alice.Name}");
        var byId = await Client.GetJson($"/api/dashboard/running-agents?hours=720&user={alice.FolderName}");
        var (must, may) = Window(_all.Where(e => e.UserId == alice.FolderName), 720, askedAt);
        var fids = byName.GetProperty("agents").EnumerateArray().Select(a => a.Str("fid")).ToHashSet();
        Assert.Multiple(() =>
        {
            Assert.That(must, Is.Not.Empty);
            Assert.That(must.Except(fids), Is.Empty);
            Assert.That(fids.Except(may), Is.Empty);
            Assert.That(byId.GetProperty("agents").EnumerateArray().Select(a => a.Str("fid")).ToHashSet(), Is.EquivalentTo(fids), "the id finds the same");
        });
        var nobody = await Client.GetJson("/api/dashboard/running-agents?hours=999999&user=nobody-of-that-name");
        Assert.That(nobody.GetProperty("total").GetInt32(), Is.Zero);
    }

    [Test]
    public async Task The_error_dialog_finds_each_error_among_the_details_events()
    {
        var errors = (await Client.GetJson("/api/dashboard/errors?hours=999999")).GetProperty("errors").EnumerateArray().Take(25).ToList();
        Assert.That(errors, Is.Not.Empty);
        foreach (var error in errors)
        {
            var details = await Client.GetJson($"/api/dashboard/execution/{error.Str("fid")}/details");
            var events = details.GetProperty("events").EnumerateArray().ToList();
            Assert.That(events, Has.Count.EqualTo(details.GetProperty("total_events").GetInt32()), "every event is sent");
            Assert.That(events.Any(e => e.Str("kind") == "error" && e.GetProperty("timestamp").GetDouble() == error.GetProperty("timestamp").GetDouble()),
                $"the error of {error.Str("fid")} is among its events");
        }
    }

    [Test]
    public async Task Details_without_paging_answer_every_event_by_timestamp_then_id_and_pages_follow_that_order()
    {
        var details = await Client.GetJson($"/api/dashboard/execution/{_longFid}/details");
        var events = details.GetProperty("events").EnumerateArray().Select(e => (Id: e.GetProperty("id").GetInt64(), T: e.GetProperty("timestamp").GetDouble())).ToList();
        Assert.That(events, Has.Count.EqualTo(2_600));
        Assert.That(details.GetProperty("total_events").GetInt32(), Is.EqualTo(2_600));
        Assert.That(events.Select(e => e.Id), Is.Not.Ordered, "the written order is not the time order");
        Assert.That(events, Is.EqualTo(events.OrderBy(e => e.T).ThenBy(e => e.Id).ToList()), "Kodosumi's order: timestamp, then id");

        var paged = new List<(long, double)>();
        for (var offset = 0; offset < 2_600; offset += 700)
        {
            var page = await Client.GetJson($"/api/dashboard/execution/{_longFid}/details?offset={offset}&limit=700");
            paged.AddRange(page.GetProperty("events").EnumerateArray().Select(e => (e.GetProperty("id").GetInt64(), e.GetProperty("timestamp").GetDouble())));
        }
        Assert.That(paged, Is.EqualTo(events), "pages in the same order");
    }

    [Test]
    public async Task A_large_list_reused_under_its_etag_is_the_same_gzip_compressed_or_not()
    {
        const string url = "/api/dashboard/running-agents?hours=999999&sort=agent_name";
        var first = await Client.GetStringAsync(url);
        Assert.That(first.Length, Is.GreaterThan(1 << 20), "large enough to stream");
        Assert.That(await Client.GetStringAsync(url), Is.EqualTo(first), "computed again and kept");
        Assert.That(await Client.GetStringAsync(url), Is.EqualTo(first), "the kept copy, unzipped for a client that takes no gzip");

        using var zipping = Host.ClientFor(IndexerHost.Operator);
        zipping.DefaultRequestHeaders.AcceptEncoding.ParseAdd("gzip");
        var response = await zipping.GetAsync(url);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(response.Content.Headers.ContentEncoding, Does.Contain("gzip"));
        await using var unzipped = new System.IO.Compression.GZipStream(await response.Content.ReadAsStreamAsync(), System.IO.Compression.CompressionMode.Decompress);
        Assert.That(await new StreamReader(unzipped).ReadToEndAsync(), Is.EqualTo(first), "the kept copy as it is, for a client that takes gzip");
    }

    [Test]
    public async Task Debug_user_answers_the_signed_in_user_as_kodosumi_does()
    {
        var alice = DemoDataGenerator.Users[1];
        using var client = Host.ClientFor(alice.FolderName);
        var json = await client.GetJson("/api/dashboard/debug/user");
        Assert.That(json.EnumerateObject().Select(p => p.Name), Is.EquivalentTo(new[] { "user_id", "name", "email", "operator", "active" }));
        Assert.Multiple(() =>
        {
            Assert.That(json.Str("user_id"), Is.EqualTo(alice.FolderName));
            Assert.That(json.Str("name"), Is.EqualTo(alice.Name));
            Assert.That(json.Str("email"), Does.Contain("@"));
            Assert.That(json.GetProperty("operator").GetBoolean(), Is.False);
            Assert.That(json.GetProperty("active").GetBoolean(), Is.True);
        });
    }

    [Test]
    public async Task Unauthorized_and_not_found_answer_problem_details_that_do_not_tell_another_users_execution_from_none()
    {
        using var anonymous = Host.CreateClient();
        var unauthorized = await anonymous.GetAsync("/api/dashboard/running-agents");
        Assert.That(unauthorized.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(unauthorized.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
        var problem = JsonDocument.Parse(await unauthorized.Content.ReadAsStringAsync()).RootElement;
        Assert.That(problem.GetProperty("status").GetInt32(), Is.EqualTo(401));
        Assert.That(problem.Str("title"), Is.Not.Empty);
        Assert.That(problem.Str("detail"), Does.Contain("KODOSUMI_API_KEY"), "says how to sign in");

        var bob = DemoDataGenerator.Users[2];
        var alicesFid = _all.First(e => e.UserId == DemoDataGenerator.Users[1].FolderName).Fid;
        using var client = Host.ClientFor(bob.FolderName);
        async Task<(HttpStatusCode, string?, JsonElement)> NotFound(string fid)
        {
            var response = await client.GetAsync($"/api/dashboard/execution/{fid}/details");
            var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            return (response.StatusCode, response.Content.Headers.ContentType?.MediaType, body);
        }
        var (otherStatus, otherType, other) = await NotFound(alicesFid);
        var (noneStatus, noneType, none) = await NotFound("ffffffffffffffffffffffff");
        Assert.Multiple(() =>
        {
            Assert.That(otherStatus, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That((noneStatus, noneType), Is.EqualTo((otherStatus, otherType)));
            Assert.That(otherType, Is.EqualTo("application/problem+json"));
            Assert.That(other.Str("detail"), Is.EqualTo(none.Str("detail")).And.Not.Empty);
            Assert.That(other.Str("title"), Is.EqualTo(none.Str("title")));
            Assert.That(other.EnumerateObject().Select(p => p.Name), Is.EquivalentTo(none.EnumerateObject().Select(p => p.Name)));
        });
    }
}
