using System.Globalization;
using System.Text.Json;
using Kodosumi.Tests.Support;

namespace Kodosumi.Tests.Browser;

[Category("Browser")]
public class TabsPageTests : BrowserTest
{
    [Test]
    public async Task Errors_tab_shows_the_errors_the_api_returns_with_folded_stack_traces()
    {
        await OpenAsync("errors");
        var errors = await ApiAsync("errors?hours=24&limit=100");
        var total = errors.GetProperty("total").GetInt32();
        var list = errors.GetProperty("errors").EnumerateArray().ToList();
        Assert.That(list, Is.Not.Empty, "the data set has errors in the last 24 hours");

        await Expect(Page.Locator("#errors-summary")).ToContainTextAsync($"{Count(total)} errors in this time range");
        await ExpectEvaluatedAsync("() => [...document.querySelectorAll('#errors-list .error-card')].map(c => c.dataset.fid).join(',')",
            string.Join(',', list.Select(e => e.Str("fid"))), "one card per error, newest first");

        var first = Page.Locator(".error-card").First;
        var firstError = list[0];
        await Expect(first.Locator(".user")).ToHaveTextAsync(firstError.GetProperty("user_name").GetString() ?? firstError.Str("user_id"));
        await Expect(first.Locator("a.mono")).ToHaveTextAsync(firstError.Str("fid"));
        var trace = first.Locator("pre.trace");
        await Expect(trace).Not.ToBeVisibleAsync();
        await first.Locator("summary").ClickAsync();
        await Expect(trace).ToBeVisibleAsync();
        var error = firstError.GetProperty("error");
        if (error.TryGetProperty("error", out var text) && text.ValueKind == JsonValueKind.String && error.EnumerateObject().Count() == 1)
            await Expect(trace).ToHaveTextAsync(text.GetString()!);

        await SelectHoursAsync(1);
        var lastHour = await ApiAsync("errors?hours=1&limit=100");
        await Expect(Page.Locator("#errors-summary")).ToContainTextAsync($"{Count(lastHour.GetProperty("total").GetInt32())} errors in this time range");
        await ExpectEvaluatedAsync("() => document.querySelectorAll('#errors-list .error-card').length + ''",
            lastHour.GetProperty("errors").GetArrayLength().ToString(CultureInfo.InvariantCulture), "the time filter applies to errors");
    }

    [Test]
    public async Task Every_tab_says_so_when_there_is_nothing_to_show()
    {
        // An API over an empty data directory.
        var none = Array.Empty<object>();
        var answers = new Dictionary<string, object>
        {
            ["running-agents"] = new { total = 0, agents = none, filters = new { agent_names = none, users = none, statuses = none }, limit = 50, offset = 0, by_status = new { } },
            ["agent-stats"] = new { total_executions = 0, by_status = new { }, by_user = new { }, avg_runtime = 0, error_rate = 0, running = 0, median_runtime = (double?)null, p95_runtime = (double?)null },
            ["errors"] = new { total = 0, errors = none },
            ["timeline"] = new { total = 0, executions = none, buckets = none },
            ["agents"] = new { total = 0, agents = none },
            ["tags"] = new { total = 0, tags = none },
        };
        foreach (var (endpoint, answer) in answers)
            await Page.RouteAsync($"**/api/dashboard/{endpoint}**", route => route.FulfillAsync(new() { Json = answer }));
        await OpenAsync();

        await Expect(Page.Locator("#running-table .empty-state")).ToContainTextAsync("No executions in this time range yet.");
        await Expect(Page.Locator("#page-info")).ToHaveTextAsync("0–0 of 0");
        await Page.ClickAsync(".tabs [data-tab=errors]");
        await Expect(Page.Locator("#errors-list .empty-state")).ToContainTextAsync("No errors in this time range.");
        await Page.ClickAsync(".tabs [data-tab=timeline]");
        await Expect(Page.Locator("#timeline-chart .empty-state")).ToContainTextAsync("No executions in this time range yet.");
        await Page.ClickAsync(".tabs [data-tab=stats]");
        await Expect(Page.Locator("#pie-status .empty-state")).ToContainTextAsync("No executions in this time range.");
        await Expect(Page.Locator("#stats-percentiles [data-box=median-runtime] .box-value")).ToHaveTextAsync("–");
        await Expect(Page.Locator("#stats-percentiles [data-box=p99-runtime] .box-value")).ToHaveTextAsync("–");
        await Expect(Page.Locator("#agents-table .empty-state")).ToContainTextAsync("No executions in this time range.");
    }

    [Test]
    public async Task Timeline_stacks_the_api_buckets_per_hour_and_per_day_with_a_tooltip_of_counts()
    {
        await OpenAsync("timeline");
        var timeline = await ApiAsync("timeline?hours=24&limit=0");
        var total = timeline.GetProperty("total").GetInt32();
        var buckets = timeline.GetProperty("buckets").EnumerateArray().ToList();
        await Expect(Page.Locator("#timeline-summary")).ToHaveTextAsync($"{Count(total)} executions in this time range, counted per hour.");

        var byStatus = buckets.SelectMany(b => b.GetProperty("counts").EnumerateObject())
            .GroupBy(c => c.Name).ToDictionary(g => g.Key, g => g.Sum(c => c.Value.GetInt32()));
        foreach (var (status, n) in byStatus)
            await Expect(Page.Locator($"#timeline-legend [data-status={status}]")).ToHaveTextAsync($"{status}: {Count(n)}");
        Assert.That(await Page.Locator("#timeline-chart .segment-error rect").CountAsync(), Is.GreaterThan(0), "errors have their own segments");

        var busiest = buckets.MaxBy(b => b.GetProperty("total").GetInt32());
        var start = DateTimeOffset.FromUnixTimeSeconds((long)busiest.GetProperty("start").GetDouble()).ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
        await Page.HoverAsync($"#timeline-chart rect.hover-column[data-start='{start}']");
        await Expect(Page.Locator("#tooltip .tooltip-total")).ToHaveTextAsync($"total: {busiest.GetProperty("total").GetInt32()}");
        foreach (var count in busiest.GetProperty("counts").EnumerateObject())
            await Expect(Page.Locator($"#tooltip .tooltip-row[data-status={count.Name}]")).ToHaveTextAsync($"{count.Name}: {count.Value.GetInt32()}");

        await SelectHoursAsync(720);
        var month = await ApiAsync("timeline?hours=720&limit=0");
        await Expect(Page.Locator("#timeline-summary")).ToHaveTextAsync($"{Count(month.GetProperty("total").GetInt32())} executions in this time range, counted per day.");
        var columns = await Page.Locator("#timeline-chart rect.hover-column").EvaluateAllAsync<int[]>("cs => cs.map(c => +c.dataset.total)");
        Assert.Multiple(() =>
        {
            Assert.That(columns, Has.Length.InRange(30, 32), "one bar per day");
            Assert.That(columns.Sum(), Is.EqualTo(month.GetProperty("total").GetInt32()), "the days add up to the total");
        });
    }

    [Test]
    public async Task Statistics_show_the_api_figures_and_pie_charts()
    {
        await OpenAsync("stats");
        var stats = await ApiAsync("agent-stats?hours=24");
        await Expect(Page.Locator("#stats-figures [data-box=total] .box-value")).ToHaveTextAsync(Count(stats.GetProperty("total_executions").GetInt32()));
        await Expect(Page.Locator("#stats-figures [data-box=running] .box-value")).ToHaveTextAsync(Count(stats.GetProperty("running").GetInt32()));
        await Expect(Page.Locator("#stats-figures [data-box=error-rate] .box-value"))
            .ToHaveTextAsync((stats.GetProperty("error_rate").GetDouble() * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%");
        await Expect(Page.Locator("#stats-figures [data-box=avg-runtime] .box-value")).Not.ToHaveTextAsync("–");
        foreach (var box in new[] { "median-runtime", "p90-runtime", "p95-runtime", "p99-runtime" })
            await Expect(Page.Locator($"#stats-percentiles [data-box={box}] .box-value")).Not.ToHaveTextAsync("–");

        foreach (var status in stats.GetProperty("by_status").EnumerateObject())
            await Expect(Page.Locator($"#pie-status li[data-key={status.Name}] .legend-value")).ToHaveTextAsync(Count(status.Value.GetInt32()));
        var users = (await ApiAsync("running-agents?hours=24&limit=1")).GetProperty("filters").GetProperty("users").EnumerateArray()
            .ToDictionary(u => u.Str("id"), u => u.GetProperty("name").GetString());
        foreach (var user in stats.GetProperty("by_user").EnumerateObject())
        {
            var item = Page.Locator($"#pie-users li[data-key='{user.Name}']");
            await Expect(item.Locator(".legend-value")).ToHaveTextAsync(Count(user.Value.GetInt32()));
            await Expect(item.Locator(".legend-label")).ToHaveTextAsync(users[user.Name] ?? user.Name);
        }
        Assert.That(await Page.Locator("#pie-status svg path").CountAsync(), Is.EqualTo(stats.GetProperty("by_status").EnumerateObject().Count()));
    }

    [Test]
    public async Task Each_tab_is_photographed_under_artifacts_screenshots()
    {
        await OpenAsync();
        foreach (var (tab, name) in new[] { ("running", "running-agents"), ("errors", "errors"), ("timeline", "timeline"), ("stats", "statistics") })
        {
            await Page.ClickAsync($".tabs [data-tab={tab}]");
            await Expect(Page.Locator($"#tab-{tab}")).ToBeVisibleAsync();
            await Page.WaitForFunctionAsync("() => document.querySelector('.tab-page:not([hidden])').textContent.trim() !== ''");
            await Page.WaitForLoadStateAsync(Microsoft.Playwright.LoadState.NetworkIdle);
            await ScreenshotAsync(name);
            Assert.That(File.Exists(Path.Combine(DashboardSite.ScreenshotDir, $"{name}.png")));
        }
    }
}
