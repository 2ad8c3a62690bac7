using System.Globalization;
using System.Text.Json;
using Kodosumi.Tests.Support;

namespace Kodosumi.Tests.Browser;

/// <summary>What an operator needs beyond the presets: an exact time range, stalled runs, views kept in the address.</summary>
[Category("Browser")]
public class OperatorViewsPageTests : BrowserTest
{
    /// <summary>A range between two executions' start times, on whole minutes (what a datetime-local input holds), in UTC.</summary>
    static async Task<(DateTimeOffset From, DateTimeOffset To)> RangeWithRowsAsync()
    {
        var all = await ApiAsync("running-agents?hours=999999&limit=5000");
        var starts = all.GetProperty("agents").EnumerateArray().Select(r => r.GetProperty("start_time").GetDouble()).Order().ToList();
        static DateTimeOffset Minute(double t) => DateTimeOffset.FromUnixTimeSeconds((long)t / 60 * 60);
        return (Minute(starts[starts.Count / 3]), Minute(starts[starts.Count * 2 / 3]));
    }

    static string Local(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm", CultureInfo.InvariantCulture);
    static string Iso(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);

    [Test]
    public async Task A_custom_range_lists_the_executions_started_in_it()
    {
        await OpenAsync();
        var (from, to) = await RangeWithRowsAsync();
        await Page.SelectOptionAsync("#hours", "custom");
        await Page.FillAsync("#range-from", Local(from));
        await Page.FillAsync("#range-to", Local(to));
        await Page.ClickAsync("#range-apply");
        await ScreenshotAsync("custom-range");

        var expected = await ApiAsync($"running-agents?from={Iso(from)}&to={Iso(to)}&limit=50");
        var total = expected.GetProperty("total").GetInt32();
        Assert.That(total, Is.GreaterThan(0));
        await Expect(Page.Locator("#page-info")).ToHaveTextAsync($"1–{Count(Math.Min(50, total))} of {Count(total)}");
        await ExpectRowsAsync(expected, "the rows of the range, newest first");

        await Page.ClickAsync("[data-tab=timeline]");
        await Expect(Page.Locator("#timeline-summary")).ToContainTextAsync($"{Count(total)} executions in this time range");
    }

    [Test]
    public async Task A_custom_range_that_ends_before_it_starts_is_refused_on_the_page()
    {
        await OpenAsync();
        await Page.SelectOptionAsync("#hours", "custom");
        await Page.FillAsync("#range-from", "2026-12-02T10:00");
        await Page.FillAsync("#range-to", "2026-12-01T10:00");
        await Page.ClickAsync("#range-apply");
        await Expect(Page.Locator("#range-error")).ToHaveTextAsync("The end must be after the start.");
    }

    [Test]
    public async Task Stalled_runs_carry_a_badge_a_box_and_a_filter()
    {
        await OpenAsync();
        var stats = await ApiAsync("agent-stats?hours=24");
        var stalled = stats.GetProperty("stalled").GetInt32();
        Assert.That(stalled, Is.GreaterThan(0), "the generated data has runs whose last event is more than 30 minutes old");
        await Expect(Page.Locator("#running-boxes [data-box=stalled] .box-value")).ToHaveTextAsync(Count(stalled));

        await Page.SelectOptionAsync("#filter-stalled", "true");
        var expected = await ApiAsync("running-agents?hours=24&limit=50&stalled=true");
        await ExpectRowsAsync(expected, "only the stalled runs");
        Assert.That(await Page.Locator("#running-table tbody tr[data-fid] .stalled-badge").CountAsync(),
            Is.EqualTo(expected.GetProperty("agents").GetArrayLength()), "each with its badge");

        await Page.SelectOptionAsync("#filter-stalled", "false");
        await ExpectRowsAsync(await ApiAsync("running-agents?hours=24&limit=50&stalled=false"), "none of the stalled runs");
        Assert.That(await Page.Locator("#running-table .stalled-badge").CountAsync(), Is.Zero);
    }

    /// <summary>Opens an address of the page, signing in through the server's form if it asks (its redirect keeps the query).</summary>
    async Task OpenAddressAsync(string address)
    {
        await Page.GotoAsync(address);
        if (Page.Url.Contains("/admin/login", StringComparison.Ordinal))
        {
            await Page.FillAsync("input[name=name]", "admin");
            await Page.FillAsync("input[name=password]", "admin");
            await Page.PressAsync("input[name=password]", "Enter");
            await Page.WaitForURLAsync("**/admin/dashboard**");
        }
        await Expect(Page.Locator("#updated")).Not.ToBeEmptyAsync();
    }

    Task<string> ValueOf(string selector) => Page.InputValueAsync(selector);

    [Test]
    public async Task A_view_opens_from_its_address_with_its_range_filters_sort_and_tag()
    {
        await OpenAddressAsync("/admin/dashboard?hours=168&status=error&sort=agent_name&tag=Research&limit=25&stalled=false");
        var expected = await ApiAsync("running-agents?hours=168&status=error&sort=agent_name&tags=Research&limit=25&stalled=false");
        Assert.That(expected.GetProperty("total").GetInt32(), Is.GreaterThan(0));
        await ExpectRowsAsync(expected, "the list of the address");
        Assert.That(await ValueOf("#hours"), Is.EqualTo("168"));
        Assert.That(await ValueOf("#filter-status"), Is.EqualTo("error"));
        Assert.That(await ValueOf("#tag-filter"), Is.EqualTo("Research"));
        Assert.That(await ValueOf("#page-size"), Is.EqualTo("25"));
        Assert.That(await ValueOf("#filter-stalled"), Is.EqualTo("false"));
        Assert.That(await Page.GetAttributeAsync("#running-table th[data-sort=agent_name]", "aria-sort"), Is.EqualTo("ascending"));

        var (from, to) = await RangeWithRowsAsync();
        await OpenAddressAsync($"/admin/dashboard?tab=timeline&from={Iso(from)}&to={Iso(to)}");
        var timeline = await ApiAsync($"timeline?from={Iso(from)}&to={Iso(to)}&limit=0");
        await Expect(Page.Locator("#timeline-summary")).ToContainTextAsync($"{Count(timeline.GetProperty("total").GetInt32())} executions in this time range");
        Assert.That(await ValueOf("#hours"), Is.EqualTo("custom"));
        Assert.That(await ValueOf("#range-from"), Is.EqualTo(Local(from)));
        Assert.That(await Page.Locator("#tab-timeline").IsVisibleAsync(), Is.True);
    }

    [Test]
    public async Task Back_forward_and_reload_restore_each_view()
    {
        await OpenAsync();
        await SelectHoursAsync(168);
        await Page.WaitForURLAsync("**hours=168**");
        await Expect(Page.Locator("#filter-status option[value=error]")).ToHaveCountAsync(1);
        await Page.SelectOptionAsync("#filter-status", "error");
        await Page.WaitForURLAsync("**status=error**");
        await Page.ClickAsync(".tabs [data-tab=stats]");
        await Page.WaitForURLAsync("**tab=stats**");
        Assert.That(new Uri(Page.Url).Query, Does.Contain("hours=168").And.Contain("status=error"));

        await Page.GoBackAsync();
        await Expect(Page.Locator("#tab-running")).ToBeVisibleAsync();
        await ExpectRowsAsync(await ApiAsync("running-agents?hours=168&status=error&limit=50"), "back: the errors of the week");
        Assert.That(await ValueOf("#filter-status"), Is.EqualTo("error"));

        await Page.GoBackAsync();
        await ExpectRowsAsync(await ApiAsync("running-agents?hours=168&limit=50"), "back again: the week, every status");
        Assert.That(await ValueOf("#filter-status"), Is.EqualTo(""));
        Assert.That(await ValueOf("#hours"), Is.EqualTo("168"));

        await Page.GoForwardAsync();
        await ExpectRowsAsync(await ApiAsync("running-agents?hours=168&status=error&limit=50"), "forward: the errors again");
        await Page.GoForwardAsync();
        await Expect(Page.Locator("#tab-stats")).ToBeVisibleAsync();

        await Page.ReloadAsync();
        await Expect(Page.Locator("#tab-stats")).ToBeVisibleAsync();
        var stats = await ApiAsync("agent-stats?hours=168");
        await Expect(Page.Locator("#stats-figures [data-box=total] .box-value")).ToHaveTextAsync(Count(stats.GetProperty("total_executions").GetInt32()));
        Assert.That(await ValueOf("#hours"), Is.EqualTo("168"));
    }

    [Test]
    public async Task Copy_link_copies_the_address_of_the_view()
    {
        await Context.GrantPermissionsAsync(["clipboard-read", "clipboard-write"], new() { Origin = DashboardSite.BaseUrl });
        await OpenAsync();
        await SelectHoursAsync(6);
        await Page.WaitForURLAsync("**hours=6**");
        await Page.ClickAsync("#copy-link");
        await Expect(Page.Locator("#updated")).ToHaveTextAsync("Link copied");
        Assert.That(await Page.EvaluateAsync<string>("() => navigator.clipboard.readText()"), Is.EqualTo(Page.Url));
        Assert.That(new Uri(Page.Url).Query, Does.Contain("hours=6"));
    }
}
