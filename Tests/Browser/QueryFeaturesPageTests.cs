using System.Globalization;
using System.Text.Json;
using CsvHelper;
using Kodosumi.Tests.Support;
using Microsoft.Playwright;

namespace Kodosumi.Tests.Browser;

/// <summary>
/// The page's use of the query features: the per-agent table with percentiles, the tag filter, the export
/// links and the timeline's server buckets, checked against the execution databases recounted with plain SQL.
/// </summary>
[Category("Browser")]
public class QueryFeaturesPageTests : BrowserTest
{
    static string ExecutionRoot => Path.Combine(DashboardSite.DataDir, "execution");

    static List<Expected> Recounted() => Recount.All(ExecutionRoot);

    /// <summary>Nearest rank: the runtime at rank ceil(p/100 × n) of the n sorted runtimes.</summary>
    static double? NearestRank(IEnumerable<Expected> executions, int percent)
    {
        var sorted = executions.Where(e => e.Runtime is not null).Select(e => e.Runtime!.Value).Order().ToList();
        return sorted.Count == 0 ? null : sorted[(int)Math.Ceiling(percent * sorted.Count / 100m) - 1];
    }

    static string Percent(double fraction) => (fraction * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%";

    static bool HasTag(Expected e, string tag) => RecountTags.Of(ExecutionRoot, e).Contains(tag, StringComparer.OrdinalIgnoreCase);

    /// <summary>The list's default order: newest first, ties by fid.</summary>
    static string NewestFirst(IEnumerable<Expected> executions) =>
        string.Join(',', executions.OrderByDescending(e => e.StartTime).ThenByDescending(e => e.Fid, StringComparer.Ordinal).Select(e => e.Fid));

    async Task ShowAllTimeOnOnePageAsync()
    {
        await SelectHoursAsync(999999);
        await Page.SelectOptionAsync("#page-size", "200");
    }

    [Test]
    public async Task The_agents_table_shows_runs_errors_and_percentiles_per_agent_as_recounted_from_the_databases()
    {
        await OpenAsync("stats");
        await SelectHoursAsync(999999);
        var executions = Recounted();
        var groups = executions.GroupBy(e => e.AgentName)
            .OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.OrdinalIgnoreCase).ToList();
        await ExpectEvaluatedAsync("() => [...document.querySelectorAll('#agents-table tbody tr[data-agent]')].map(r => r.dataset.agent).join('\\n')",
            string.Join('\n', groups.Select(g => g.Key)), "one row per agent, most runs first");

        var rows = await Page.Locator("#agents-table tbody tr[data-agent]").EvaluateAllAsync<Dictionary<string, string[]>[]>(
            """
            rows => rows.map(r => Object.fromEntries(['agent', 'runs', 'running', 'errors', 'error-rate', 'p50', 'p90', 'p95', 'p99', 'last-run']
              .map(k => { const c = r.querySelector('td.' + k); return [k, [c.textContent, c.dataset.value ?? '']]; })))
            """);
        static string Cell(Dictionary<string, string[]> row, string name) => row[name][0];
        static string Value(Dictionary<string, string[]> row, string name) => row[name][1];
        Assert.Multiple(() =>
        {
            foreach (var (row, g) in rows.Zip(groups))
            {
                var runs = g.ToList();
                var errors = runs.Count(e => e.HasError);
                Assert.That(Cell(row, "agent"), Is.EqualTo(g.Key));
                Assert.That(Cell(row, "runs"), Is.EqualTo(Count(runs.Count)), $"{g.Key} runs");
                Assert.That(Cell(row, "running"), Is.EqualTo(Count(runs.Count(e => e.Status is "running" or "starting" or "awaiting"))), $"{g.Key} running");
                Assert.That(Cell(row, "errors"), Is.EqualTo(Count(errors)), $"{g.Key} errors");
                Assert.That(Cell(row, "error-rate"), Is.EqualTo(Percent((double)errors / runs.Count)), $"{g.Key} error rate");
                foreach (var p in new[] { 50, 90, 95, 99 })
                {
                    var expected = NearestRank(runs, p);
                    var shown = Value(row, $"p{p}");
                    Assert.That(shown == "" ? (double?)null : double.Parse(shown, CultureInfo.InvariantCulture), Is.EqualTo(expected).Within(1e-6), $"{g.Key} p{p}");
                    Assert.That(Cell(row, $"p{p}"), expected is null ? Is.EqualTo("–") : Is.Not.EqualTo("–"), $"{g.Key} p{p} text");
                }
                Assert.That(double.Parse(Value(row, "last-run"), CultureInfo.InvariantCulture), Is.EqualTo(runs.Max(e => e.StartTime)).Within(1e-6), $"{g.Key} last run");
            }
        });

        // The overall percentiles above the table are the same nearest ranks over every execution.
        var stats = await ApiAsync("agent-stats?hours=999999");
        foreach (var p in new[] { 50, 90, 95, 99 })
            Assert.That(stats.GetProperty("runtime_percentiles").NumOrNull($"p{p}"), Is.EqualTo(NearestRank(executions, p)).Within(1e-6), $"p{p} overall");
        await Expect(Page.Locator("#stats-percentiles [data-box=p99-runtime] .box-value")).Not.ToHaveTextAsync("–");
        await ScreenshotAsync("statistics-agents");
    }

    [Test]
    public async Task Choosing_a_tag_shows_exactly_the_tagged_executions_in_every_tab()
    {
        await OpenAsync();
        await ShowAllTimeOnOnePageAsync();
        var executions = Recounted();
        var tagsInUse = executions.SelectMany(e => RecountTags.Of(ExecutionRoot, e)).GroupBy(t => t).ToDictionary(g => g.Key, g => g.Count());
        await ExpectEvaluatedAsync("() => [...document.querySelectorAll('#tag-filter option')].map(o => o.value).filter(Boolean).sort().join(',')",
            string.Join(',', tagsInUse.Keys.Order(StringComparer.Ordinal)), "one choice per tag in use");

        const string tag = "Research";
        var tagged = executions.Where(e => HasTag(e, tag)).ToList();
        Assert.That(tagged.Count, Is.InRange(1, 199), "the tag picks some executions, all on one page");
        await Expect(Page.Locator($"#tag-filter option[value={tag}]")).ToHaveTextAsync($"{tag} ({tagsInUse[tag]})");

        await Page.SelectOptionAsync("#tag-filter", tag);
        await ExpectEvaluatedAsync(RowFids, NewestFirst(tagged), "the list holds the tagged executions, newest first");
        await Expect(Page.Locator("#page-info")).ToHaveTextAsync($"1–{Count(tagged.Count)} of {Count(tagged.Count)}");
        await Expect(Page.Locator("#running-boxes [data-box=executions] .box-value")).ToHaveTextAsync($"{Count(tagged.Count)} / {Count(tagged.Count)}");

        // The other filters combine with the tag.
        await Page.SelectOptionAsync("#filter-status", "finished");
        await ExpectEvaluatedAsync(RowFids, NewestFirst(tagged.Where(e => e.Status == "finished")), "tagged and finished");
        await Page.SelectOptionAsync("#filter-status", "");

        await Page.ClickAsync(".tabs [data-tab=stats]");
        await Expect(Page.Locator("#stats-figures [data-box=total] .box-value")).ToHaveTextAsync(Count(tagged.Count));
        await ExpectEvaluatedAsync("() => [...document.querySelectorAll('#agents-table tbody tr[data-agent]')].map(r => r.dataset.agent).sort().join('\\n')",
            string.Join('\n', tagged.Select(e => e.AgentName).Distinct().Order(StringComparer.Ordinal)), "only the agents of tagged executions");
        await ExpectEvaluatedAsync("() => [...document.querySelectorAll('#agents-table td.runs')].reduce((n, c) => n + +c.dataset.value, 0) + ''",
            tagged.Count.ToString(CultureInfo.InvariantCulture), "the agents' runs add up to the tagged executions");

        await Page.ClickAsync(".tabs [data-tab=timeline]");
        await Expect(Page.Locator("#timeline-summary")).ToHaveTextAsync($"{Count(tagged.Count)} executions in this time range, counted per day.");
        var columns = await Page.Locator("#timeline-chart rect.hover-column").EvaluateAllAsync<int[]>("cs => cs.map(c => +c.dataset.total)");
        Assert.That(columns.Sum(), Is.EqualTo(tagged.Count), "the days add up to the tagged executions");

        await Page.SelectOptionAsync("#tag-filter", "");
        await Expect(Page.Locator("#timeline-summary")).ToHaveTextAsync($"{Count(executions.Count)} executions in this time range, counted per day.");
    }

    [Test]
    public async Task The_export_links_carry_the_filters_and_sort_and_download_the_rows_of_the_list()
    {
        await OpenAsync();
        await ShowAllTimeOnOnePageAsync();
        await Page.SelectOptionAsync("#tag-filter", "Research");
        await Page.SelectOptionAsync("#filter-status", "finished");
        await Page.ClickAsync("th[data-sort=runtime]");
        var listed = await ApiAsync("running-agents?hours=999999&limit=200&tags=Research&status=finished&sort=-runtime");
        await ExpectRowsAsync(listed, "tagged, finished, longest first");

        var href = await Page.GetAttributeAsync("#export-csv", "href");
        var query = System.Web.HttpUtility.ParseQueryString(new Uri(new Uri(DashboardSite.BaseUrl), href).Query);
        Assert.Multiple(() =>
        {
            Assert.That(href, Does.StartWith("/api/dashboard/running-agents/export?"));
            Assert.That(query["format"], Is.EqualTo("csv"));
            Assert.That(query["hours"], Is.EqualTo("999999"));
            Assert.That(query["tags"], Is.EqualTo("Research"));
            Assert.That(query["status"], Is.EqualTo("finished"));
            Assert.That(query["sort"], Is.EqualTo("-runtime"));
            Assert.That(query["limit"], Is.Null, "the export is not paged");
        });

        var tableRows = await Page.Locator("#running-table tbody tr[data-fid]").EvaluateAllAsync<string[][]>(
            "rows => rows.map(r => [...r.cells].slice(0, 4).map(c => c.textContent))");
        var recounted = Recounted().ToDictionary(e => e.Fid);
        var download = await Page.RunAndWaitForDownloadAsync(() => Page.ClickAsync("#export-csv"));
        Assert.That(download.SuggestedFilename, Does.EndWith(".csv"));
        using var csv = CsvReader.Create(await File.ReadAllBytesAsync(await download.PathAsync()));
        var csvRows = new List<string[]>();
        Assert.Multiple(() =>
        {
            while (csv.Read())
            {
                var fid = csv.GetString("fid");
                var userName = csv.GetString("user_name");
                csvRows.Add([csv.GetString("agent_name"), fid, userName == "" ? csv.GetString("user_id") : userName, csv.GetString("status")]);
                // Each row holds what its database says.
                var expected = recounted[fid];
                Assert.That(csv.GetString("status"), Is.EqualTo(expected.Status), fid);
                Assert.That(double.Parse(csv.GetString("runtime"), CultureInfo.InvariantCulture), Is.EqualTo(expected.Runtime).Within(1e-6), fid);
                Assert.That(csv.GetString("tags").Split('|'), Does.Contain("Research"), fid);
            }
        });
        Assert.That(csvRows, Is.EqualTo(tableRows), "the CSV's rows are the list's rows, in its order");

        var ndjson = await Page.RunAndWaitForDownloadAsync(() => Page.ClickAsync("#export-ndjson"));
        var lines = (await File.ReadAllLinesAsync(await ndjson.PathAsync())).Where(l => l != "").ToList();
        Assert.That(lines.Select(l => JsonDocument.Parse(l).RootElement.Str("fid")), Is.EqualTo(tableRows.Select(r => r[1])),
            "the NDJSON's rows are the list's rows, in its order");
    }

    [Test]
    public async Task The_timeline_asks_for_hours_or_days_in_the_browsers_time_zone()
    {
        // Kolkata is 5:30 ahead of UTC: its hours start at half past a UTC hour, so bars built on UTC hours would not match.
        const string zone = "Asia/Kolkata";
        await UseTimeZoneAsync(zone);
        var requests = new List<Uri>();
        Page.Request += (_, request) =>
        {
            if (request.Url.Contains("/api/dashboard/timeline", StringComparison.Ordinal)) lock (requests) requests.Add(new Uri(request.Url));
        };
        await OpenAsync("timeline");
        // Chromium names the zone by ICU's canonical id, the older alias Asia/Calcutta; the page sends what the browser says.
        var browserZone = await Page.EvaluateAsync<string>("() => Intl.DateTimeFormat().resolvedOptions().timeZone");
        Assert.That(browserZone, Is.AnyOf(zone, "Asia/Calcutta"));
        await ExpectBucketsAsync(24, "hour");
        await SelectHoursAsync(168);
        await ExpectBucketsAsync(168, "day");
        await ScreenshotAsync("timeline-kolkata-days");
        await SelectHoursAsync(720);
        await ExpectBucketsAsync(720, "day");

        async Task ExpectBucketsAsync(int hours, string bucket)
        {
            var api = await ApiAsync($"timeline?hours={hours}&limit=0&bucket={bucket}&tz={Uri.EscapeDataString(zone)}");
            await Expect(Page.Locator("#timeline-summary"))
                .ToHaveTextAsync($"{Count(api.GetProperty("total").GetInt32())} executions in this time range, counted per {bucket}.");
            Uri last;
            lock (requests) last = requests.Last(r => System.Web.HttpUtility.ParseQueryString(r.Query)["hours"] == hours.ToString(CultureInfo.InvariantCulture));
            var query = System.Web.HttpUtility.ParseQueryString(last.Query);
            Assert.Multiple(() =>
            {
                Assert.That(query["bucket"], Is.EqualTo(bucket), $"{hours} h");
                Assert.That(query["tz"], Is.EqualTo(browserZone), $"{hours} h");
                Assert.That(query["limit"], Is.EqualTo("0"), "no rows, only buckets");
            });

            var buckets = api.GetProperty("buckets").EnumerateArray().ToList();
            Assert.That(buckets, Is.Not.Empty);
            foreach (var b in buckets)
            {
                var start = DateTimeOffset.FromUnixTimeSeconds((long)b.GetProperty("start").GetDouble());
                if (bucket == "hour") Assert.That(start.Minute, Is.EqualTo(30), "a Kolkata hour starts at half past a UTC hour");
                else Assert.That(start.ToOffset(TimeSpan.FromHours(5.5)).TimeOfDay, Is.EqualTo(TimeSpan.Zero), "a Kolkata day starts at its midnight");
                var iso = start.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
                await Expect(Page.Locator($"#timeline-chart rect.hover-column[data-start='{iso}']"))
                    .ToHaveAttributeAsync("data-total", b.GetProperty("total").GetInt32().ToString(CultureInfo.InvariantCulture), new() { Timeout = 5_000 });
            }
            var columns = await Page.Locator("#timeline-chart rect.hover-column").EvaluateAllAsync<int[]>("cs => cs.map(c => +c.dataset.total)");
            Assert.That(columns.Sum(), Is.EqualTo(api.GetProperty("total").GetInt32()), $"the bars of {hours} h add up to the total");
        }
    }

    [Test]
    public async Task A_zone_the_server_does_not_know_falls_back_to_utc_buckets_instead_of_failing()
    {
        // What a browser that cannot tell its zone sends instead of its zone; the server's zone database has no such name.
        await UseTimeZoneAsync("Europe/Berlin");
        var rejected = 0;
        await Page.RouteAsync("**/api/dashboard/timeline**", async route =>
        {
            var tz = System.Web.HttpUtility.ParseQueryString(new Uri(route.Request.Url).Query)["tz"];
            if (tz == "UTC") await route.ContinueAsync();
            else
            {
                Interlocked.Increment(ref rejected);
                await route.ContinueAsync(new() { Url = route.Request.Url.Replace($"tz={Uri.EscapeDataString(tz ?? "")}", "tz=Etc%2FUnknown", StringComparison.Ordinal) });
            }
        });
        await OpenAsync("timeline");
        var utc = await ApiAsync("timeline?hours=24&limit=0&bucket=hour&tz=UTC");
        await Expect(Page.Locator("#timeline-summary"))
            .ToHaveTextAsync($"{Count(utc.GetProperty("total").GetInt32())} executions in this time range, counted per hour in UTC.");
        await Expect(Page.Locator("#banner")).Not.ToBeVisibleAsync();
        await SelectHoursAsync(168);
        await Expect(Page.Locator("#timeline-summary")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("counted per day in UTC\\.$"));
        Assert.That(rejected, Is.EqualTo(1), "the page asks with its zone once, then in UTC");
        var unknown = await DashboardSite.Api.GetAsync("/api/dashboard/timeline?hours=24&limit=0&tz=Etc%2FUnknown");
        Assert.That((int)unknown.StatusCode, Is.EqualTo(400), "the server does reject the name");
    }
}
