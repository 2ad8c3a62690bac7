using System.Text.Json;
using Kodosumi.Shared.Demo;
using Kodosumi.Tests.Support;
using static Kodosumi.Tests.Integration.Query.QueryDataSet;

namespace Kodosumi.Tests.Integration.Query;

/// <summary>
/// Runtime percentiles (nearest rank: the value at rank ceil(p/100 × n) of the n sorted runtimes) in
/// agent-stats and the per-agent table, computed here in decimal arithmetic from the recount.
/// </summary>
[Category("Integration")]
public class PercentileTests
{
    static readonly int[] Percents = [50, 90, 95, 99];

    static double? NearestRank(IEnumerable<Expected> executions, int percent)
    {
        var sorted = executions.Where(e => e.Runtime is not null).Select(e => e.Runtime!.Value).Order().ToList();
        return sorted.Count == 0 ? null : sorted[(int)Math.Ceiling(percent * sorted.Count / 100m) - 1];
    }

    static void AssertPercentiles(JsonElement actual, IEnumerable<Expected> executions, string what)
    {
        var list = executions.ToList();
        foreach (var p in Percents)
            Assert.That(actual.NumOrNull($"p{p}"), Is.EqualTo(NearestRank(list, p)).Within(1e-9), $"{what} p{p}");
    }

    [Test]
    public void The_definition_is_nearest_rank()
    {
        // 1..20 seconds: p50 is the 10th value, p90 the 18th, p95 the 19th, p99 the 20th.
        var runtimes = Enumerable.Range(1, 20).Select(i => Recounted[0] with { First = 0, Last = i }).ToList();
        Assert.That(Percents.Select(p => NearestRank(runtimes, p)), Is.EqualTo(new double?[] { 10, 18, 19, 20 }));
    }

    [Test]
    public async Task Agent_stats_gives_percentiles_overall_and_per_agent()
    {
        var json = await Operator.GetJson($"{Dashboard}/agent-stats");
        AssertPercentiles(json.GetProperty("runtime_percentiles"), Recounted, "overall");
        Assert.That(json.NumOrNull("p95_runtime"), Is.EqualTo(NearestRank(Recounted, 95)).Within(1e-9));
        Assert.That(json.NumOrNull("median_runtime"), Is.EqualTo(NearestRank(Recounted, 50)).Within(1e-9));
        var byAgent = json.GetProperty("runtime_percentiles_by_agent");
        var groups = Recounted.GroupBy(e => e.AgentName).ToList();
        Assert.That(byAgent.EnumerateObject().Select(p => p.Name), Is.EquivalentTo(groups.Select(g => g.Key)));
        foreach (var g in groups) AssertPercentiles(byAgent.GetProperty(g.Key), g, g.Key);
    }

    static async Task AssertAgentsTable(HttpClient client, string query, List<Expected> visible)
    {
        var json = await client.GetJson($"{Dashboard}/agents?{query}");
        Assert.That(json.GetProperty("total").GetInt32(), Is.EqualTo(visible.Count));
        var rows = json.GetProperty("agents").EnumerateArray().ToList();
        var expected = visible.GroupBy(e => e.AgentName)
            .OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.OrdinalIgnoreCase).ToList();
        Assert.That(rows.Select(r => r.Str("agent_name")), Is.EqualTo(expected.Select(g => g.Key)), "most runs first");
        Assert.Multiple(() =>
        {
            foreach (var (row, g) in rows.Zip(expected))
            {
                var runs = g.ToList();
                var errors = runs.Count(e => e.HasError);
                Assert.That(row.GetProperty("runs").GetInt32(), Is.EqualTo(runs.Count), g.Key);
                Assert.That(row.GetProperty("running").GetInt32(), Is.EqualTo(runs.Count(e => e.Status is "running" or "starting" or "awaiting")), g.Key);
                Assert.That(row.GetProperty("errors").GetInt32(), Is.EqualTo(errors), g.Key);
                Assert.That(row.GetProperty("error_rate").GetDouble(), Is.EqualTo((double)errors / runs.Count).Within(1e-12), g.Key);
                Assert.That(row.GetProperty("last_run").GetDouble(), Is.EqualTo(runs.Max(e => e.StartTime)).Within(1e-6), g.Key);
                var withRuntime = runs.Where(e => e.Runtime is not null).ToList();
                Assert.That(row.NumOrNull("avg_runtime"),
                    Is.EqualTo(withRuntime.Count == 0 ? null : withRuntime.Average(e => e.Runtime!.Value)).Within(1e-6), g.Key);
                AssertPercentiles(row.GetProperty("runtime_percentiles"), runs, g.Key);
            }
        });
    }

    [Test]
    public Task The_agents_table_counts_every_visible_execution_per_agent() =>
        AssertAgentsTable(Operator, "hours=999999", Recounted);

    [Test]
    public Task The_agents_table_applies_the_list_filters() =>
        AssertAgentsTable(Operator, "hours=999999&status=finished&tags=Research",
            Recounted.Where(e => e.Status == "finished" && TagsByFid[e.Fid].Contains("Research")).ToList());

    [Test]
    public async Task A_user_who_is_no_operator_sees_a_table_of_their_own_executions()
    {
        var alice = DemoDataGenerator.Users[1];
        using var client = Host.ClientFor(alice.FolderName);
        await AssertAgentsTable(client, "hours=999999", Recounted.Where(e => e.UserId == alice.FolderName).ToList());
    }

    [Test]
    public async Task The_agents_table_follows_the_time_window()
    {
        var json = await Operator.GetJson($"{Dashboard}/agents?hours=24");
        var since = DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 24 * 3600;
        // Executions within a minute of the window's edge may fall either side while the test runs.
        var surelyIn = Recounted.Count(e => e.StartTime > since + 60);
        var possiblyIn = Recounted.Count(e => e.StartTime > since - 60);
        Assert.That(json.GetProperty("total").GetInt32(), Is.InRange(surelyIn, possiblyIn));
        Assert.That(json.GetProperty("total").GetInt32(), Is.LessThan(Recounted.Count));
    }

    [Test]
    public async Task A_bad_window_gets_400_naming_hours()
    {
        var response = await Operator.GetAsync($"{Dashboard}/agents?hours=-1");
        Assert.That((int)response.StatusCode, Is.EqualTo(400));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("hours"));
    }
}
