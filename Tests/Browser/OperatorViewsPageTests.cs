using System.Globalization;
using System.Text.Json;
using Kodosumi.Tests.Support;

namespace Kodosumi.Tests.Browser;

/// <summary>What an operator needs beyond the presets: an exact time range, stalled runs.</summary>
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
}
