using System.Net;
using Kodosumi.Shared.Demo;
using Kodosumi.Tests.Support;

namespace Kodosumi.Tests.Integration;

/// <summary>
/// The page's additions to running-agents: <c>sort</c> (applied before paging, so each page is the right
/// slice of all matches) and <c>by_status</c> (matches per status, for the statistic boxes).
/// </summary>
[Category("Integration")]
public class RunningAgentsSortTests : InProcessHostTest
{
    const string Api = "/api/dashboard/running-agents";
    List<Expected> _expected = [];

    [OneTimeSetUp]
    public async Task StartOnGeneratedData()
    {
        CreateDataDir("kodo-sort", new DemoOptions { Executions = 90, Seed = 21, LargeResultEvery = 0 });
        _expected = Recount.All(ExecutionRoot);
        await StartHostAsync();
    }

    async Task<List<string>> AllFids(string sort)
    {
        var fids = new List<string>();
        for (var offset = 0; offset < _expected.Count; offset += 25)
        {
            var page = await Client.GetJson($"{Api}?hours=999999&limit=25&offset={offset}&sort={sort}");
            fids.AddRange(page.GetProperty("agents").EnumerateArray().Select(r => r.Str("fid")));
        }
        return fids;
    }

    [Test]
    public async Task Sorting_by_runtime_orders_every_match_before_paging()
    {
        var byFid = _expected.ToDictionary(e => e.Fid);
        var ascending = (await AllFids("runtime")).Select(f => byFid[f].Runtime ?? 0).ToList();
        var descending = (await AllFids("-runtime")).Select(f => byFid[f].Runtime ?? 0).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(ascending, Has.Count.EqualTo(_expected.Count));
            Assert.That(ascending, Is.Ordered.Ascending);
            Assert.That(descending, Is.Ordered.Descending);
        });
    }

    [Test]
    public async Task Sorting_by_agent_name_ignores_case_and_keeps_newest_first_within_a_name()
    {
        var byFid = _expected.ToDictionary(e => e.Fid);
        var rows = (await AllFids("agent_name")).Select(f => byFid[f]).ToList();
        Assert.That(rows.Select(r => r.AgentName), Is.Ordered.Using((IComparer<string>)StringComparer.OrdinalIgnoreCase));
        foreach (var group in rows.GroupBy(r => r.AgentName))
            Assert.That(group.Select(r => r.StartTime), Is.Ordered.Descending, group.Key);
    }

    [Test]
    public async Task Without_sort_the_list_stays_newest_first()
    {
        var byFid = _expected.ToDictionary(e => e.Fid);
        Assert.That((await AllFids("")).Select(f => byFid[f].StartTime), Is.Ordered.Descending);
    }

    [Test]
    public async Task By_status_counts_the_matches_of_the_filters()
    {
        var json = await Client.GetJson($"{Api}?hours=999999&limit=1&user={DemoDataGenerator.Users[1].FolderName}");
        var expected = _expected.Where(e => e.UserId == DemoDataGenerator.Users[1].FolderName)
            .GroupBy(e => e.Status).ToDictionary(g => g.Key, g => g.Count());
        var actual = json.GetProperty("by_status").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32());
        Assert.That(actual, Is.EquivalentTo(expected));
        Assert.That(actual.Values.Sum(), Is.EqualTo(json.GetProperty("total").GetInt32()));
    }

    [Test]
    public async Task An_unknown_sort_column_gets_400_naming_it()
    {
        var response = await Client.GetAsync($"{Api}?sort=password");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("sort"));
    }
}
