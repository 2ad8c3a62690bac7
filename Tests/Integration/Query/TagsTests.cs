using System.Text.Json;
using Kodosumi.Shared.Demo;
using Kodosumi.Tests.Support;
using static Kodosumi.Tests.Integration.Query.QueryDataSet;

namespace Kodosumi.Tests.Integration.Query;

/// <summary>The <c>tags</c> filter (every tag listed, any case) and the tag list, against tags read from the databases here.</summary>
[Category("Integration")]
public class TagsTests
{
    static List<string> Fids(JsonElement json, string list) => json.GetProperty(list).EnumerateArray().Select(r => r.Str("fid")).ToList();

    static List<Expected> Carrying(params string[] tags) =>
        Recounted.Where(e => tags.All(t => TagsByFid[e.Fid].Contains(t, StringComparer.OrdinalIgnoreCase))).ToList();

    [TestCase("Research")]
    [TestCase("research")]
    [TestCase("Marketing,Research")]
    [TestCase(" Creative , Music ")]
    public async Task The_list_keeps_executions_carrying_every_tag(string tags)
    {
        var expected = Carrying(tags.Split(',', StringSplitOptions.TrimEntries));
        Assert.That(expected, Is.Not.Empty);
        var json = await Operator.GetJson($"{Dashboard}/running-agents?hours=999999&limit=5000&tags={Uri.EscapeDataString(tags)}");
        Assert.That(json.GetProperty("total").GetInt32(), Is.EqualTo(expected.Count));
        Assert.That(Fids(json, "agents"), Is.EquivalentTo(expected.Select(e => e.Fid)));
    }

    [Test]
    public async Task A_tag_nobody_uses_matches_nothing()
    {
        var json = await Operator.GetJson($"{Dashboard}/running-agents?hours=999999&tags=Nonexistent");
        Assert.That(json.GetProperty("total").GetInt32(), Is.Zero);
    }

    [Test]
    public async Task Stats_and_timeline_filter_by_tags_too()
    {
        var expected = Carrying("Creative");
        var stats = await Operator.GetJson($"{Dashboard}/agent-stats?tags=Creative");
        Assert.That(stats.GetProperty("total_executions").GetInt32(), Is.EqualTo(expected.Count));
        var timeline = await Operator.GetJson($"{Dashboard}/timeline?hours=999999&tags=Creative");
        Assert.That(Fids(timeline, "executions"), Is.EquivalentTo(expected.Select(e => e.Fid)));
        Assert.That(timeline.GetProperty("buckets").EnumerateArray().Sum(b => b.GetProperty("total").GetInt32()), Is.EqualTo(expected.Count));
    }

    static async Task AssertTagList(HttpClient client, string query, List<Expected> visible)
    {
        var json = await client.GetJson($"{Dashboard}/tags?{query}");
        var expected = visible.SelectMany(e => TagsByFid[e.Fid]).GroupBy(t => t).ToDictionary(g => g.Key, g => g.Count());
        var tags = json.GetProperty("tags").EnumerateArray().Select(t => (Tag: t.Str("tag"), Count: t.GetProperty("count").GetInt32())).ToList();
        Assert.That(tags.ToDictionary(t => t.Tag, t => t.Count), Is.EquivalentTo(expected));
        Assert.That(tags.Select(t => t.Count), Is.Ordered.Descending, "most used first");
        Assert.That(json.GetProperty("total").GetInt32(), Is.EqualTo(visible.Count));
    }

    [Test]
    public Task The_tag_list_counts_executions_per_tag() => AssertTagList(Operator, "", Recounted);

    [Test]
    public async Task The_tag_list_of_a_user_who_is_no_operator_counts_only_their_executions()
    {
        var bob = DemoDataGenerator.Users[2];
        using var client = Host.ClientFor(bob.FolderName);
        await AssertTagList(client, "", Recounted.Where(e => e.UserId == bob.FolderName).ToList());
    }

    [Test]
    public Task The_tag_list_applies_the_filters() =>
        AssertTagList(Operator, "status=error", Recounted.Where(e => e.Status == "error").ToList());
}
