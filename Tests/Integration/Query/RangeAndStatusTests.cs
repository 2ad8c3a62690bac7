using System.Globalization;
using System.Net;
using System.Text.Json;
using Kodosumi.Tests.Support;
using static Kodosumi.Tests.Integration.Query.QueryDataSet;

namespace Kodosumi.Tests.Integration.Query;

/// <summary>
/// Exact time ranges (<c>from</c>, <c>to</c>: executions started in <c>[from, to)</c>, error events in it) and
/// several statuses at once, against the executions recounted from their databases.
/// </summary>
[Category("Integration")]
public class RangeAndStatusTests
{
    /// <summary>A range cut at two executions' own start times, so both ends fall exactly on a row.</summary>
    static (double From, double To) Cut()
    {
        var starts = Recounted.Select(e => e.StartTime).Order().ToList();
        return (starts[starts.Count / 4], starts[starts.Count * 3 / 4]);
    }

    static string Num(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    static List<Expected> Started(double from, double to) => Recounted.Where(e => e.StartTime >= from && e.StartTime < to).ToList();

    static List<string> Fids(JsonElement json, string list) => json.GetProperty(list).EnumerateArray().Select(r => r.Str("fid")).ToList();

    [Test]
    public async Task The_list_holds_executions_started_from_from_up_to_but_not_including_to()
    {
        var (from, to) = Cut();
        var expected = Started(from, to);
        var json = await Operator.GetJson($"{Dashboard}/running-agents?from={Num(from)}&to={Num(to)}");
        Assert.That(json.GetProperty("total").GetInt32(), Is.EqualTo(expected.Count));
        var fids = Fids(json, "agents");
        Assert.That(fids, Is.EquivalentTo(expected.Select(e => e.Fid)));
        Assert.That(fids, Does.Contain(Recounted.First(e => e.StartTime == from).Fid), "from is inclusive");
        Assert.That(fids, Does.Not.Contain(Recounted.First(e => e.StartTime == to).Fid), "to is exclusive");
        var byStatus = json.GetProperty("by_status").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32());
        Assert.That(byStatus, Is.EquivalentTo(expected.CountBy(e => e.Status).ToDictionary()));
        Assert.That(json.GetProperty("filters").GetProperty("agent_names").EnumerateArray().Select(a => a.GetString()),
            Is.EquivalentTo(expected.Select(e => e.AgentName).Distinct()), "the drop-downs offer what the range holds");
    }

    [Test]
    public async Task Iso_8601_with_an_offset_names_the_same_instants_as_unix_seconds()
    {
        var (from, to) = Cut();
        (from, to) = (Math.Floor(from), Math.Floor(to));
        var isoFrom = DateTimeOffset.FromUnixTimeSeconds((long)from).ToOffset(TimeSpan.FromHours(2)).ToString("yyyy-MM-ddTHH:mm:sszzz", CultureInfo.InvariantCulture);
        var isoTo = DateTimeOffset.FromUnixTimeSeconds((long)to).UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        var json = await Operator.GetJson($"{Dashboard}/running-agents?from={Uri.EscapeDataString(isoFrom)}&to={Uri.EscapeDataString(isoTo)}");
        Assert.That(Fids(json, "agents"), Is.EquivalentTo(Started(from, to).Select(e => e.Fid)));
    }

    [Test]
    public async Task From_alone_reaches_now_and_to_alone_reaches_back_to_the_first_execution()
    {
        var (from, to) = Cut();
        var after = await Operator.GetJson($"{Dashboard}/running-agents?from={Num(from)}");
        Assert.That(after.GetProperty("total").GetInt32(), Is.EqualTo(Recounted.Count(e => e.StartTime >= from)));
        var before = await Operator.GetJson($"{Dashboard}/running-agents?to={Num(to)}");
        Assert.That(before.GetProperty("total").GetInt32(), Is.EqualTo(Recounted.Count(e => e.StartTime < to)));
    }

    [Test]
    public async Task A_page_of_a_range_pages_through_the_range_only()
    {
        var (from, to) = Cut();
        var seen = new List<string>();
        string? cursor = null;
        do
        {
            var json = await Operator.GetJson($"{Dashboard}/running-agents?from={Num(from)}&to={Num(to)}&limit=50&sort=agent"
                                              + (cursor is null ? "" : "&cursor=" + cursor));
            seen.AddRange(Fids(json, "agents"));
            cursor = json.GetProperty("next_cursor").GetString();
        } while (cursor is not null);
        Assert.That(seen, Is.EquivalentTo(Started(from, to).Select(e => e.Fid)));
    }

    [Test]
    public async Task Export_timeline_agents_stats_and_tags_count_the_same_range()
    {
        var (from, to) = Cut();
        var expected = Started(from, to);
        var range = $"from={Num(from)}&to={Num(to)}";

        var export = await Operator.GetStringAsync($"{Dashboard}/running-agents/export?format=ndjson&{range}");
        var exported = export.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Str("fid"));
        Assert.That(exported, Is.EquivalentTo(expected.Select(e => e.Fid)));

        var timeline = await Operator.GetJson($"{Dashboard}/timeline?{range}");
        Assert.That(Fids(timeline, "executions"), Is.EqualTo(expected.OrderBy(e => e.StartTime).ThenBy(e => e.Fid).Select(e => e.Fid)).Or
            .EquivalentTo(expected.Select(e => e.Fid)));
        var starts = timeline.GetProperty("executions").EnumerateArray().Select(r => r.GetProperty("start_time").GetDouble()).ToList();
        Assert.That(starts, Is.Ordered, "oldest first");
        Assert.That(timeline.GetProperty("buckets").EnumerateArray().Sum(b => b.GetProperty("total").GetInt32()), Is.EqualTo(expected.Count));

        var agents = await Operator.GetJson($"{Dashboard}/agents?{range}");
        Assert.That(agents.GetProperty("agents").EnumerateArray().ToDictionary(a => a.Str("agent_name"), a => a.GetProperty("runs").GetInt32()),
            Is.EquivalentTo(expected.CountBy(e => e.AgentName).ToDictionary()));

        var stats = await Operator.GetJson($"{Dashboard}/agent-stats?{range}");
        Assert.That(stats.GetProperty("total_executions").GetInt32(), Is.EqualTo(expected.Count));
        Assert.That(stats.GetProperty("by_status").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32()),
            Is.EquivalentTo(expected.CountBy(e => e.Status).ToDictionary()));

        var tags = await Operator.GetJson($"{Dashboard}/tags?{range}");
        Assert.That(tags.GetProperty("total").GetInt32(), Is.EqualTo(expected.Count));
        var expectedTags = expected.SelectMany(e => TagsByFid[e.Fid]).GroupBy(t => t).ToDictionary(g => g.Key, g => g.Count());
        Assert.That(tags.GetProperty("tags").EnumerateArray().ToDictionary(t => t.Str("tag"), t => t.GetProperty("count").GetInt32()),
            Is.EquivalentTo(expectedTags));
    }

    [Test]
    public async Task Errors_of_a_range_are_the_error_events_written_in_it()
    {
        var times = Recounted.SelectMany(e => e.ErrorEvents.Select(x => x.Timestamp)).Order().ToList();
        Assert.That(times, Has.Count.GreaterThan(8));
        var (from, to) = (times[times.Count / 4], times[times.Count * 3 / 4]);
        var expected = Recounted.SelectMany(e => e.ErrorEvents.Where(x => x.Timestamp >= from && x.Timestamp < to).Select(x => (e.Fid, x.Id))).ToList();
        var json = await Operator.GetJson($"{Dashboard}/errors?from={Num(from)}&to={Num(to)}&limit=5000");
        Assert.That(json.GetProperty("total").GetInt32(), Is.EqualTo(expected.Count));
        var listed = json.GetProperty("errors").EnumerateArray().Select(e => (e.Str("fid"), e.GetProperty("event_id").GetInt64())).ToList();
        Assert.That(listed, Is.EquivalentTo(expected));
    }

    [TestCase("running,error")]
    [TestCase("Finished, ERROR")]
    [TestCase("awaiting")]
    public async Task Several_statuses_match_any_of_them(string statuses)
    {
        var wanted = statuses.Split(',', StringSplitOptions.TrimEntries).Select(s => s.ToLowerInvariant()).ToHashSet();
        var expected = Recounted.Where(e => wanted.Contains(e.Status)).ToList();
        var json = await Operator.GetJson($"{Dashboard}/running-agents?hours=999999&status={Uri.EscapeDataString(statuses)}");
        Assert.That(Fids(json, "agents"), Is.EquivalentTo(expected.Select(e => e.Fid)));
        var agents = await Operator.GetJson($"{Dashboard}/agents?status={Uri.EscapeDataString(statuses)}");
        Assert.That(agents.GetProperty("total").GetInt32(), Is.EqualTo(expected.Count));
    }

    [TestCase("running-agents?hours=24&from=1700000000", "hours")]
    [TestCase("errors?hours=1&to=2026-12-01T00:00:00Z", "hours")]
    [TestCase("timeline?hours=6&from=1700000000&to=1800000000", "hours")]
    [TestCase("agent-stats?hours=999999&from=1700000000", "hours")]
    [TestCase("agents?from=yesterday", "from")]
    [TestCase("tags?to=2026-12-01T00:00:00", "to")]
    [TestCase("running-agents/export?format=csv&from=1800000000&to=1700000000", "to")]
    [TestCase("running-agents?from=1700000000&to=1700000000", "to")]
    public async Task A_range_that_contradicts_itself_or_hours_gets_400_naming_the_parameter(string query, string parameter)
    {
        var response = await Operator.GetAsync($"{Dashboard}/{query}");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.That(body.GetProperty("errors").EnumerateArray().Select(e => e.Str("name")), Does.Contain(parameter));
    }

    [Test]
    public async Task Without_from_and_to_hours_keeps_its_default()
    {
        var cutoff = DateTimeOffset.UtcNow.AddHours(-24).ToUnixTimeSeconds();
        var json = await Operator.GetJson($"{Dashboard}/running-agents");
        // A minute either side: executions may cross the 24-hour line while the test runs.
        var sure = Recounted.Count(e => e.StartTime >= cutoff + 60);
        var maybe = Recounted.Count(e => e.StartTime >= cutoff - 60);
        Assert.That(json.GetProperty("total").GetInt32(), Is.InRange(sure, maybe));
        Assert.That(json.GetProperty("filters").GetProperty("hours").GetDouble(), Is.EqualTo(24));
    }
}
