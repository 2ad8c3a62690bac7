using System.Net;
using System.Text.Json;
using Kodosumi.Tests.Support;
using static Kodosumi.Tests.Integration.Query.QueryDataSet;

namespace Kodosumi.Tests.Integration.Query;

/// <summary>
/// <c>sort</c>/<c>order</c> and keyset paging on running-agents, against an independent sort of the
/// recounted executions: the documented order is the key in the asked direction, ties newest first.
/// </summary>
[Category("Integration")]
public class SortAndCursorTests
{
    const string List = Dashboard + "/running-agents";

    /// <summary>Every page from the first, following next_cursor; fails on a page loop.</summary>
    public static async Task<List<string>> WalkWithCursor(HttpClient client, string query, int limit, Func<Task>? betweenPages = null)
    {
        var fids = new List<string>();
        string? cursor = null;
        for (var pages = 0; pages < 10_000; pages++)
        {
            var url = $"{List}?{query}&limit={limit}" + (cursor is null ? "" : $"&cursor={Uri.EscapeDataString(cursor)}");
            var page = await client.GetJson(url);
            var rows = page.GetProperty("agents").EnumerateArray().Select(r => r.Str("fid")).ToList();
            Assert.That(rows, Has.Count.LessThanOrEqualTo(limit));
            fids.AddRange(rows);
            var next = page.GetProperty("next_cursor");
            if (next.ValueKind == JsonValueKind.Null) return fids;
            Assert.That(rows, Has.Count.EqualTo(limit), "only the last page may be short");
            cursor = next.GetString();
            if (betweenPages is not null) await betweenPages();
        }
        Assert.Fail("next_cursor never ran out");
        return fids;
    }

    static List<string> ExpectedOrder(string column, bool descending)
    {
        int Key(Expected a, Expected b) => column switch
        {
            "start" => a.StartTime.CompareTo(b.StartTime),
            "runtime" => (a.Runtime ?? 0).CompareTo(b.Runtime ?? 0),
            "status" => StringComparer.OrdinalIgnoreCase.Compare(a.Status, b.Status),
            "agent" => StringComparer.OrdinalIgnoreCase.Compare(a.AgentName, b.AgentName),
            "user" => StringComparer.OrdinalIgnoreCase.Compare(UserName(a.UserId), UserName(b.UserId)),
            _ => throw new ArgumentException(column),
        };
        var rows = Recounted.ToList();
        rows.Sort((a, b) =>
        {
            var key = Key(a, b);
            if (key != 0) return descending ? -key : key;
            var newestFirst = b.StartTime.CompareTo(a.StartTime) is var t and not 0 ? t : string.CompareOrdinal(b.Fid, a.Fid);
            return column == "start" && !descending ? -newestFirst : newestFirst;
        });
        return rows.Select(e => e.Fid).ToList();
    }

    [TestCase("start", "asc")]
    [TestCase("start", "desc")]
    [TestCase("runtime", "asc")]
    [TestCase("runtime", "desc")]
    [TestCase("status", "asc")]
    [TestCase("status", "desc")]
    [TestCase("agent", "asc")]
    [TestCase("agent", "desc")]
    [TestCase("user", "asc")]
    [TestCase("user", "desc")]
    public async Task Cursor_pages_follow_the_sort_over_every_match(string sort, string order)
    {
        var fids = await WalkWithCursor(Operator, $"hours=999999&sort={sort}&order={order}", 97);
        Assert.That(fids, Is.EqualTo(ExpectedOrder(sort, order == "desc")));
    }

    [Test]
    public async Task Without_sort_the_cursor_walks_newest_first_and_order_asc_reverses_it()
    {
        var newest = await WalkWithCursor(Operator, "hours=999999", 128);
        var oldest = await WalkWithCursor(Operator, "hours=999999&order=asc", 128);
        Assert.That(newest, Is.EqualTo(ExpectedOrder("start", true)));
        Assert.That(oldest, Is.EqualTo(ExpectedOrder("start", false)));
    }

    [Test]
    public async Task Offset_pages_and_cursor_pages_give_the_same_rows()
    {
        var byOffset = new List<string>();
        for (var offset = 0; offset < Recounted.Count; offset += 100)
        {
            var page = await Operator.GetJson($"{List}?hours=999999&sort=runtime&order=desc&limit=100&offset={offset}");
            byOffset.AddRange(page.GetProperty("agents").EnumerateArray().Select(r => r.Str("fid")));
        }
        Assert.That(byOffset, Is.EqualTo(await WalkWithCursor(Operator, "hours=999999&sort=runtime&order=desc", 100)));
    }

    [Test]
    public async Task The_page_original_column_names_keep_working()
    {
        var legacy = await WalkWithCursor(Operator, "hours=999999&sort=-runtime", 200);
        Assert.That(legacy, Is.EqualTo(ExpectedOrder("runtime", descending: true)));
        var agentName = await WalkWithCursor(Operator, "hours=999999&sort=agent_name", 200);
        Assert.That(agentName, Is.EqualTo(ExpectedOrder("agent", descending: false)));
        var minusShortName = await WalkWithCursor(Operator, "hours=999999&sort=-user", 200);
        Assert.That(minusShortName, Is.EqualTo(ExpectedOrder("user", descending: true)));
    }

    [Test]
    public async Task The_last_page_has_no_next_cursor()
    {
        var page = await Operator.GetJson($"{List}?hours=999999&limit=5000");
        Assert.That(page.GetProperty("agents").GetArrayLength(), Is.EqualTo(Recounted.Count));
        Assert.That(page.GetProperty("next_cursor").ValueKind, Is.EqualTo(JsonValueKind.Null));
    }

    [Test]
    public async Task A_cursor_keeps_the_window_of_its_first_page()
    {
        var all = ExpectedOrder("start", descending: true);
        var first = await Operator.GetJson($"{List}?hours=999999&limit=10");
        var cursor = Uri.EscapeDataString(first.Str("next_cursor"));
        // hours=1 would hold only the newest few; the cursor's window (all time) is the one that counts.
        var second = await Operator.GetJson($"{List}?hours=1&limit=10&cursor={cursor}");
        Assert.That(second.GetProperty("agents").EnumerateArray().Select(r => r.Str("fid")), Is.EqualTo(all.Skip(10).Take(10)));
        Assert.That(second.GetProperty("total").GetInt32(), Is.EqualTo(all.Count));
    }

    [TestCase("sort=password", "sort")]
    [TestCase("sort=runtime&order=sideways", "order")]
    [TestCase("sort=-runtime&order=asc", "order")]
    [TestCase("cursor=not-a-cursor", "cursor")]
    [TestCase("cursor=eyJ4IjoxfQ", "cursor")]
    public async Task Bad_sort_order_or_cursor_gets_400_naming_the_parameter(string query, string parameter)
    {
        var response = await Operator.GetAsync($"{List}?{query}");
        var body = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), body);
        Assert.That(body, Does.Contain(parameter));
    }

    [Test]
    public async Task A_cursor_of_another_sort_or_with_an_offset_gets_400()
    {
        var page = await Operator.GetJson($"{List}?hours=999999&sort=runtime&limit=10");
        var cursor = Uri.EscapeDataString(page.Str("next_cursor"));
        var otherSort = await Operator.GetAsync($"{List}?hours=999999&sort=agent&limit=10&cursor={cursor}");
        Assert.That(otherSort.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await otherSort.Content.ReadAsStringAsync(), Does.Contain("cursor"));
        var withOffset = await Operator.GetAsync($"{List}?hours=999999&sort=runtime&limit=10&offset=10&cursor={cursor}");
        Assert.That(withOffset.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await withOffset.Content.ReadAsStringAsync(), Does.Contain("offset"));
    }
}
