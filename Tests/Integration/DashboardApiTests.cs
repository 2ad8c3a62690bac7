using System.Net;
using System.Text.Json;
using Kodosumi.Shared.Demo;
using Kodosumi.Tests.Support;

namespace Kodosumi.Tests.Integration;

/// <summary>
/// Every dashboard endpoint over a generated data set, checked against a recount made straight from the
/// SQLite files and folders (<see cref="Recount"/>), not by the code under test.
/// </summary>
[Category("Integration")]
public class DashboardApiTests : InProcessHostTest
{
    const string Api = "/api/dashboard";
    List<Expected> _expected = [];
    double _now;

    [OneTimeSetUp]
    public async Task StartOnGeneratedData()
    {
        CreateDataDir("kodo-api", new DemoOptions { Executions = 240, Seed = 7, LargeResultEvery = 40 });
        _expected = Recount.All(ExecutionRoot);
        await StartHostAsync();
        _now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;
    }

    [Test]
    public async Task Running_agents_over_all_time_lists_every_execution_with_its_recounted_fields()
    {
        var json = await Client.GetJson($"{Api}/running-agents?hours=999999&limit=5000");
        var rows = json.GetProperty("agents").EnumerateArray().ToList();
        Assert.That(json.GetProperty("total").GetInt32(), Is.EqualTo(_expected.Count));
        Assert.That(rows.Select(r => r.Str("fid")), Is.EquivalentTo(_expected.Select(e => e.Fid)));
        var starts = rows.Select(r => r.GetProperty("start_time").GetDouble()).ToList();
        Assert.That(starts, Is.Ordered.Descending, "newest first");
        var byFid = _expected.ToDictionary(e => e.Fid);
        Assert.Multiple(() =>
        {
            foreach (var row in rows)
            {
                var e = byFid[row.Str("fid")];
                Assert.That(row.Str("user_id"), Is.EqualTo(e.UserId));
                Assert.That(row.Str("user_name"), Is.EqualTo(DemoDataGenerator.Users.Single(u => u.FolderName == e.UserId).Name));
                Assert.That(row.Str("agent_name"), Is.EqualTo(e.AgentName), e.Fid);
                Assert.That(row.Str("status"), Is.EqualTo(e.Status), e.Fid);
                Assert.That(row.GetProperty("start_time").GetDouble(), Is.EqualTo(e.StartTime).Within(1e-6));
                Assert.That(row.NumOrNull("end_time"), Is.EqualTo(e.Last).Within(1e-6));
                Assert.That(row.NumOrNull("runtime"), Is.EqualTo(e.Runtime).Within(1e-6));
                Assert.That(row.GetProperty("upload_count").GetInt32(), Is.EqualTo(e.Uploads), e.Fid);
                Assert.That(row.GetProperty("download_count").GetInt32(), Is.EqualTo(e.Downloads), e.Fid);
                Assert.That(row.GetProperty("error_count").GetInt32(), Is.EqualTo(e.Errors));
                Assert.That(row.GetProperty("event_count").GetInt64(), Is.EqualTo(e.Events));
                Assert.That(row.GetProperty("error").ValueKind == JsonValueKind.Null ? null : row.Str("error"), Is.EqualTo(e.LatestError));
                Assert.That(row.NumOrNull("error_timestamp"), Is.EqualTo(e.LatestErrorTime).Within(1e-6));
                Assert.That(row.GetProperty("meta").ValueKind, Is.EqualTo(JsonValueKind.Object));
                Assert.That(row.GetProperty("problem").ValueKind, Is.EqualTo(JsonValueKind.Null));
            }
        });
    }

    [Test]
    public async Task Running_agents_defaults_to_the_last_24_hours()
    {
        var json = await Client.GetJson($"{Api}/running-agents");
        var fids = json.GetProperty("agents").EnumerateArray().Select(r => r.Str("fid")).ToHashSet();
        var since = _now - 24 * 3600;
        // Executions within a minute of the window's edge may fall either side while the test runs.
        var surelyIn = _expected.Where(e => e.StartTime > since + 60).Select(e => e.Fid).ToList();
        var surelyOut = _expected.Where(e => e.StartTime < since - 60).Select(e => e.Fid).ToList();
        Assert.That(surelyIn, Is.Not.Empty);
        Assert.That(fids, Is.SupersetOf(surelyIn));
        Assert.That(fids.Intersect(surelyOut), Is.Empty);
        Assert.That(json.GetProperty("total").GetInt32(), Is.EqualTo(fids.Count));
    }

    [Test]
    public async Task Filters_match_as_kodosumi_defines_them()
    {
        var user = _expected[0].UserId;
        var byUser = await Client.GetJson($"{Api}/running-agents?hours=999999&limit=5000&user={user}");
        Assert.That(byUser.GetProperty("total").GetInt32(), Is.EqualTo(_expected.Count(e => e.UserId == user)));

        var byAgent = await Client.GetJson($"{Api}/running-agents?hours=999999&limit=5000&agent_name=hymn");
        Assert.That(byAgent.GetProperty("total").GetInt32(),
            Is.EqualTo(_expected.Count(e => e.AgentName.Contains("hymn", StringComparison.OrdinalIgnoreCase))).And.GreaterThan(0));

        var byStatus = await Client.GetJson($"{Api}/running-agents?hours=999999&limit=5000&status=ERROR");
        Assert.That(byStatus.GetProperty("total").GetInt32(), Is.EqualTo(_expected.Count(e => e.Status == "error")).And.GreaterThan(0));

        var term = _expected[3].Fid[10..18];
        var bySearch = await Client.GetJson($"{Api}/running-agents?hours=999999&limit=5000&search={term}");
        Assert.That(bySearch.GetProperty("agents").EnumerateArray().Select(r => r.Str("fid")), Does.Contain(_expected[3].Fid));
        Assert.That(bySearch.GetProperty("total").GetInt32(), Is.EqualTo(_expected.Count(e =>
            new[] { e.Fid, e.AgentName, e.UserId, e.Status }.Any(f => f.Contains(term, StringComparison.OrdinalIgnoreCase)))));
    }

    [Test]
    public async Task Paging_splits_the_list_while_total_counts_every_match()
    {
        var all = (await Client.GetJson($"{Api}/running-agents?hours=999999&limit=5000"))
            .GetProperty("agents").EnumerateArray().Select(r => r.Str("fid")).ToList();
        var pages = new List<string>();
        for (var offset = 0; offset < all.Count; offset += 50)
        {
            var page = await Client.GetJson($"{Api}/running-agents?hours=999999&limit=50&offset={offset}");
            Assert.That(page.GetProperty("total").GetInt32(), Is.EqualTo(_expected.Count));
            pages.AddRange(page.GetProperty("agents").EnumerateArray().Select(r => r.Str("fid")));
        }
        Assert.That(pages, Is.EqualTo(all));
    }

    [Test]
    public async Task Errors_are_newest_first_capped_at_limit_but_total_counts_all()
    {
        var all = _expected.SelectMany(e => e.ErrorEvents.Select(x => (e.Fid, x.Timestamp, x.Message))).OrderByDescending(x => x.Timestamp).ToList();
        Assert.That(all, Has.Count.GreaterThan(5));
        var json = await Client.GetJson($"{Api}/errors?hours=999999&limit=5");
        var errors = json.GetProperty("errors").EnumerateArray().ToList();
        Assert.That(json.GetProperty("total").GetInt32(), Is.EqualTo(all.Count));
        Assert.That(errors, Has.Count.EqualTo(5));
        for (var i = 0; i < 5; i++)
        {
            Assert.That(errors[i].Str("fid"), Is.EqualTo(all[i].Fid));
            Assert.That(errors[i].GetProperty("timestamp").GetDouble(), Is.EqualTo(all[i].Timestamp).Within(1e-6));
            var error = errors[i].GetProperty("error");
            // Kodosumi's rule: JSON messages parsed, anything else wrapped as {"error": text}.
            if (all[i].Message.StartsWith('{'))
                Assert.That(error.GetRawText(), Is.EqualTo(JsonDocument.Parse(all[i].Message).RootElement.GetRawText()));
            else
                Assert.That(error.Str("error"), Is.EqualTo(all[i].Message));
        }
    }

    [Test]
    public async Task Timeline_lists_the_window_oldest_first_and_buckets_count_them_all()
    {
        var since = _now - 168 * 3600;
        var json = await Client.GetJson($"{Api}/timeline?hours=168");
        var rows = json.GetProperty("executions").EnumerateArray().ToList();
        var expected = _expected.Where(e => e.StartTime >= since).ToList();
        Assert.That(json.GetProperty("total").GetInt32(), Is.InRange(expected.Count - 1, expected.Count));
        Assert.That(rows.Select(r => r.GetProperty("start_time").GetDouble()), Is.Ordered.Ascending);
        var buckets = json.GetProperty("buckets").EnumerateArray().ToList();
        Assert.That(buckets.Sum(b => b.GetProperty("total").GetInt32()), Is.EqualTo(json.GetProperty("total").GetInt32()));
        foreach (var bucket in buckets)
        {
            var start = bucket.GetProperty("start").GetDouble();
            var inHour = rows.Where(r => r.GetProperty("start_time").GetDouble() is var t && t >= start && t < start + 3600).ToList();
            Assert.That(bucket.GetProperty("counts").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32()),
                Is.EquivalentTo(inHour.GroupBy(r => r.Str("status")).ToDictionary(g => g.Key, g => g.Count())));
        }

        var limited = await Client.GetJson($"{Api}/timeline?hours=168&limit=3");
        var newest = rows.TakeLast(3).Select(r => r.Str("fid"));
        Assert.That(limited.GetProperty("executions").EnumerateArray().Select(r => r.Str("fid")), Is.EqualTo(newest));
    }

    [Test]
    public async Task Agent_stats_match_the_recount()
    {
        var json = await Client.GetJson($"{Api}/agent-stats");
        var runtimes = _expected.Where(e => e.HasMeasuredRuntime).Select(e => e.Runtime!.Value).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(json.GetProperty("total_executions").GetInt32(), Is.EqualTo(_expected.Count));
            Assert.That(json.GetProperty("by_status").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32()),
                Is.EquivalentTo(_expected.CountBy(e => e.Status)));
            Assert.That(json.GetProperty("by_user").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32()),
                Is.EquivalentTo(_expected.CountBy(e => e.UserId)));
            Assert.That(json.GetProperty("avg_runtime").GetDouble(), Is.EqualTo(runtimes.Average()).Within(1e-6));
            Assert.That(json.GetProperty("error_rate").GetDouble(),
                Is.EqualTo((double)_expected.Count(e => e.HasErrorText) / _expected.Count).Within(1e-9));
        });
    }

    [Test]
    public async Task Details_pages_through_the_events_of_one_execution()
    {
        var e = _expected.OrderByDescending(x => x.Events).First();
        var json = await Client.GetJson($"{Api}/execution/{e.Fid}/details?offset=2&limit=5");
        Assert.That(json.GetProperty("total_events").GetInt64(), Is.EqualTo(e.Events));
        Assert.That(json.GetProperty("metadata").Str("fid"), Is.EqualTo(e.Fid));
        Assert.That(json.GetProperty("metadata").Str("status"), Is.EqualTo(e.Status));
        var events = json.GetProperty("events").EnumerateArray().ToList();
        Assert.That(events.Select(x => x.GetProperty("id").GetInt64()), Is.EqualTo(new long[] { 3, 4, 5, 6, 7 }));
        Assert.That(events.All(x => x.TryGetProperty("kind", out _) && x.TryGetProperty("message", out _) && x.TryGetProperty("timestamp", out _)));

        var whole = await Client.GetJson($"{Api}/execution/{e.Fid}/details");
        Assert.That(whole.GetProperty("events").GetArrayLength(), Is.EqualTo(e.Events));
    }

    [Test]
    public async Task Files_lists_uploads_and_downloads_and_each_downloads_its_bytes()
    {
        var e = _expected.First(x => x.Uploads > 1 && x.Downloads > 0);
        var dir = Path.Combine(DataDir, "execution", e.UserId, e.Fid);
        var json = await Client.GetJson($"{Api}/execution/{e.Fid}/files");
        Assert.That(json.GetProperty("upload_count").GetInt32(), Is.EqualTo(e.Uploads));
        Assert.That(json.GetProperty("download_count").GetInt32(), Is.EqualTo(e.Downloads));
        foreach (var (list, folder) in new[] { ("uploads", "in"), ("downloads", "out") })
        {
            var onDisk = Directory.GetFiles(Path.Combine(dir, folder), "*", SearchOption.AllDirectories)
                .Select(f => Path.GetRelativePath(Path.Combine(dir, folder), f)).ToList();
            var listed = json.GetProperty(list).EnumerateArray().ToList();
            Assert.That(listed.Select(f => f.Str("path")), Is.EquivalentTo(onDisk));
            foreach (var file in listed)
            {
                var bytes = await File.ReadAllBytesAsync(Path.Combine(dir, folder, file.Str("path")));
                Assert.That(file.GetProperty("size").GetInt64(), Is.EqualTo(bytes.Length));
                Assert.That(file.Str("name"), Is.EqualTo(Path.GetFileName(file.Str("path"))));
                Assert.That(await Client.GetByteArrayAsync(file.Str("url")), Is.EqualTo(bytes));
            }
        }
    }

    [TestCase("../../admin.db")]
    [TestCase("..%2F..%2Fadmin.db")]
    [TestCase("%2e%2e/%2e%2e/admin.db")]
    [TestCase("%2Fetc%2Fpasswd")]
    [TestCase("nested/../../sqlite3.db")]
    public async Task Downloads_never_leave_the_execution_folder(string path)
    {
        var e = _expected.First(x => x.Uploads > 0);
        var response = await Client.GetAsync($"{Api}/execution/{e.Fid}/files/in/{path}");
        Assert.That(response.StatusCode, Is.AnyOf(HttpStatusCode.NotFound, HttpStatusCode.BadRequest));
    }

    [Test]
    public async Task A_symlink_out_of_the_execution_folder_is_not_followed()
    {
        var e = _expected.First(x => x.Uploads > 0);
        var inDir = Path.Combine(DataDir, "execution", e.UserId, e.Fid, "in");
        File.CreateSymbolicLink(Path.Combine(inDir, "escape.txt"), Path.Combine(DataDir, "admin.db"));
        try
        {
            var response = await Client.GetAsync($"{Api}/execution/{e.Fid}/files/in/escape.txt");
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        }
        finally
        {
            File.Delete(Path.Combine(inDir, "escape.txt"));
        }
    }

    [TestCase("running-agents?hours=-1", "hours")]
    [TestCase("running-agents?hours=abc", "hours")]
    [TestCase("running-agents?limit=0", "limit")]
    [TestCase("running-agents?limit=100000", "limit")]
    [TestCase("running-agents?offset=-5", "offset")]
    [TestCase("errors?hours=0", "hours")]
    [TestCase("errors?limit=abc", "limit")]
    [TestCase("timeline?hours=-3", "hours")]
    [TestCase("agent-stats?hours=x", "hours")]
    public async Task Bad_parameters_get_400_problem_details_naming_the_parameter(string query, string parameter)
    {
        var response = await Client.GetAsync($"{Api}/{query}");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.That(body.GetProperty("status").GetInt32(), Is.EqualTo(400));
        Assert.That(body.GetProperty("errors").EnumerateArray().Select(e => e.Str("name")), Does.Contain(parameter));
    }

    [TestCase("details")]
    [TestCase("files")]
    public async Task An_unknown_fid_gets_404(string what)
    {
        var response = await Client.GetAsync($"{Api}/execution/ffffffffffffffffffffffff/{what}");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }

    [Test]
    public async Task Health_reports_what_was_indexed()
    {
        var ready = await Client.GetJson("/health/ready");
        var data = ready.GetProperty("checks").GetProperty("index").GetProperty("data");
        Assert.That(data.GetProperty("executions_indexed").GetInt32(), Is.EqualTo(_expected.Count));
        Assert.That(data.GetProperty("executions_with_problems").GetInt32(), Is.Zero);
        Assert.That(data.Str("watcher"), Is.EqualTo("watching"));
        Assert.That((await Client.GetAsync("/health/live")).StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }
}
