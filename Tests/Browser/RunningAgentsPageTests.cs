using System.Text.Json;
using Kodosumi.Tests.Support;

namespace Kodosumi.Tests.Browser;

[Category("Browser")]
public class RunningAgentsPageTests : BrowserTest
{
    [Test]
    public async Task Running_agents_shows_the_totals_and_rows_the_api_returns()
    {
        await OpenAsync();
        var page = await ApiAsync("running-agents?hours=24&limit=50");
        var stats = await ApiAsync("agent-stats?hours=24");

        var total = page.GetProperty("total").GetInt32();
        await Expect(Page.Locator("#running-boxes [data-box=executions] .box-value"))
            .ToHaveTextAsync($"{Count(total)} / {Count(stats.GetProperty("total_executions").GetInt32())}");
        foreach (var status in stats.GetProperty("by_status").EnumerateObject())
            await Expect(Page.Locator($"#running-boxes [data-box={status.Name}] .box-value"))
                .ToHaveTextAsync($"{Count(status.Value.GetInt32())} / {Count(status.Value.GetInt32())}");
        await Expect(Page.Locator("#page-info")).ToHaveTextAsync($"1–{Count(Math.Min(50, total))} of {Count(total)}");
        await ExpectRowsAsync(page, "the first page, newest first");

        var cells = await Page.Locator("#running-table tbody tr[data-fid]").EvaluateAllAsync<string[][]>(
            "rows => rows.map(r => [...r.cells].slice(0, 4).map(c => c.querySelector('.status-badge')?.textContent ?? c.textContent))");
        var rows = page.GetProperty("agents").EnumerateArray().ToList();
        Assert.Multiple(() =>
        {
            for (var i = 0; i < rows.Count; i++)
            {
                var r = rows[i];
                var user = r.GetProperty("user_name").GetString() ?? r.Str("user_id");
                Assert.That(cells[i], Is.EqualTo(new[] { r.Str("agent_name"), r.Str("fid"), user, r.Str("status") }), r.Str("fid"));
            }
        });
        Assert.That(await Page.Locator("#running-table tbody tr[data-fid] a[href^='/outputs/status/']").CountAsync(), Is.EqualTo(rows.Count),
            "every row links to Kodosumi's execution view");
    }

    [Test]
    public async Task Each_filter_narrows_the_rows_as_the_api_does()
    {
        await OpenAsync();
        var all = await ApiAsync("running-agents?hours=24&limit=1");
        var filters = all.GetProperty("filters");

        var agent = filters.GetProperty("agent_names").EnumerateArray().Select(a => a.GetString()!).First(a => a.Contains("Analyzer") || a.Contains("Creator"));
        await Page.SelectOptionAsync("#filter-agent", agent);
        var byAgent = await ApiAsync($"running-agents?hours=24&limit=50&agent_name={Uri.EscapeDataString(agent)}");
        await ExpectRowsAsync(byAgent, $"agent {agent}");
        await Expect(Page.Locator("#running-boxes [data-box=executions] .box-value"))
            .ToHaveTextAsync($"{Count(byAgent.GetProperty("total").GetInt32())} / {Count(all.GetProperty("total").GetInt32())}");
        await Page.SelectOptionAsync("#filter-agent", "");

        var alice = filters.GetProperty("users").EnumerateArray().Single(u => u.GetProperty("name").GetString() == "alice").Str("id");
        await Page.SelectOptionAsync("#filter-user", alice);
        var byUser = await ApiAsync($"running-agents?hours=24&limit=50&user={alice}");
        await ExpectRowsAsync(byUser, "user alice");
        Assert.That(await Page.Locator("#running-table td.user").AllTextContentsAsync(), Is.All.EqualTo("alice"));
        await Page.SelectOptionAsync("#filter-user", "");

        await Page.SelectOptionAsync("#filter-status", "error");
        var byStatus = await ApiAsync("running-agents?hours=24&limit=50&status=error");
        await ExpectRowsAsync(byStatus, "status error");
        Assert.That(await Page.Locator("#running-table .status-badge").AllTextContentsAsync(), Is.All.EqualTo("error"));
        await Page.SelectOptionAsync("#filter-status", "");

        var someFid = (await ApiAsync("running-agents?hours=24&limit=5")).GetProperty("agents")[3].Str("fid");
        await Page.FillAsync("#filter-search", someFid[^10..]);
        await ExpectRowsAsync(await ApiAsync($"running-agents?hours=24&limit=50&search={someFid[^10..]}"), "search by part of a fid");

        await Page.FillAsync("#filter-search", "no-such-execution");
        await ExpectEvaluatedAsync(RowFids, "", "no rows for a search that matches nothing");
        await Expect(Page.Locator("#running-table .empty-state")).ToContainTextAsync("No executions match these filters.");
    }

    [Test]
    public async Task Columns_sort_and_pages_follow_the_server_over_all_executions()
    {
        await OpenAsync();
        await SelectHoursAsync(999999);
        await ExpectRowsAsync(await ApiAsync("running-agents?hours=999999&limit=50"), "all time, newest first");

        await Page.ClickAsync("th[data-sort=runtime]");
        await ExpectRowsAsync(await ApiAsync("running-agents?hours=999999&limit=50&sort=-runtime"), "longest runtime first");
        await Page.ClickAsync("th[data-sort=runtime]");
        await ExpectRowsAsync(await ApiAsync("running-agents?hours=999999&limit=50&sort=runtime"), "shortest runtime first");
        await Page.ClickAsync("th[data-sort=agent_name]");
        var byAgent = await ApiAsync("running-agents?hours=999999&limit=50&sort=agent_name");
        await ExpectRowsAsync(byAgent, "agent name A to Z");

        var total = byAgent.GetProperty("total").GetInt32();
        await Page.ClickAsync("#page-next");
        await ExpectRowsAsync(await ApiAsync("running-agents?hours=999999&limit=50&offset=50&sort=agent_name"), "second page");
        await Expect(Page.Locator("#page-info")).ToHaveTextAsync($"51–{Count(Math.Min(100, total))} of {Count(total)}");
        await Page.ClickAsync("#page-prev");
        await ExpectRowsAsync(byAgent, "back on the first page");

        var first = await Page.Locator("#running-table tbody tr[data-fid]").EvaluateAllAsync<string[]>("rows => rows.map(r => r.querySelector('td.agent').textContent)");
        Assert.That(first, Is.Ordered.Using((IComparer<string>)StringComparer.OrdinalIgnoreCase));
    }

    [Test]
    public async Task The_time_range_changes_the_totals()
    {
        await OpenAsync();
        foreach (var hours in new[] { 1, 168, 720, 999999, 24 })
        {
            await SelectHoursAsync(hours);
            var page = await ApiAsync($"running-agents?hours={hours}&limit=50");
            var stats = await ApiAsync($"agent-stats?hours={hours}");
            var total = page.GetProperty("total").GetInt32();
            await Expect(Page.Locator("#running-boxes [data-box=executions] .box-value"))
                .ToHaveTextAsync($"{Count(total)} / {Count(stats.GetProperty("total_executions").GetInt32())}");
            await ExpectRowsAsync(page, $"{hours} h");
        }
        var day = (await ApiAsync("running-agents?hours=24&limit=1")).GetProperty("total").GetInt32();
        var month = (await ApiAsync("running-agents?hours=720&limit=1")).GetProperty("total").GetInt32();
        Assert.That(month, Is.GreaterThan(day), "the data set spreads over 30 days");
    }

    [Test]
    public async Task The_files_modal_lists_the_files_and_downloads_their_bytes()
    {
        await OpenAsync();
        var every = await ApiAsync("running-agents?hours=999999&limit=5000");
        var row = every.GetProperty("agents").EnumerateArray()
            .First(r => r.GetProperty("download_count").GetInt32() >= 2 && r.GetProperty("upload_count").GetInt32() >= 1);
        var fid = row.Str("fid");
        var files = await ApiAsync($"execution/{fid}/files");

        await SelectHoursAsync(999999);
        await Page.FillAsync("#filter-search", fid);
        await ExpectEvaluatedAsync(RowFids, fid, "the one execution searched for");
        await Page.ClickAsync($"tr[data-fid='{fid}'] .files-button");
        var dialog = Page.Locator("#files-dialog");
        await Expect(dialog).ToBeVisibleAsync();
        await Expect(Page.Locator("#files-fid")).ToHaveTextAsync(fid);

        static string[] Paths(JsonElement list) => list.EnumerateArray().Select(f => f.Str("path")).ToArray();
        Assert.That(await Page.Locator("#files-in li[data-path]").EvaluateAllAsync<string[]>("items => items.map(i => i.dataset.path)"),
            Is.EqualTo(Paths(files.GetProperty("uploads"))));
        Assert.That(await Page.Locator("#files-out li[data-path]").EvaluateAllAsync<string[]>("items => items.map(i => i.dataset.path)"),
            Is.EqualTo(Paths(files.GetProperty("downloads"))));
        var nested = files.GetProperty("downloads").EnumerateArray().First(f => f.Str("path").Contains('/'));
        await Expect(Page.Locator($"#files-out li[data-path='{nested.Str("path")}'] .file-name")).ToHaveAttributeAsync("title", nested.Str("path"));
        await ScreenshotAsync("files-modal");

        var download = await Page.RunAndWaitForDownloadAsync(() =>
            Page.Locator($"#files-out li[data-path='{nested.Str("path")}'] a.download").ClickAsync());
        var saved = await download.PathAsync();
        var onDisk = Path.Combine(DashboardSite.DataDir, "execution", row.Str("user_id"), fid, "out", nested.Str("path"));
        Assert.That(await File.ReadAllBytesAsync(saved), Is.EqualTo(await File.ReadAllBytesAsync(onDisk)));

        await Page.ClickAsync("#files-close");
        await Expect(dialog).Not.ToBeVisibleAsync();
    }
}
