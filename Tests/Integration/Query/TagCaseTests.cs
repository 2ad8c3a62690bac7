using Kodosumi.Shared;
using Kodosumi.Shared.Demo;
using Kodosumi.TestSupport;
using Kodosumi.Tests.Support;

namespace Kodosumi.Tests.Integration.Query;

/// <summary>
/// The tag filter matches in any case, so the tag list must count the same way: a count it shows is the
/// number of executions its filter then lists.
/// </summary>
[Category("Integration")]
public class TagCaseTests : InProcessHostTest
{
    static readonly string[][] TagsWritten = [["Research"], ["research", "web"], ["RESEARCH", "research"], ["Web"], []];

    [OneTimeSetUp]
    public async Task WriteExecutionsWithTagsInSeveralCases()
    {
        CreateDataDir("kodo-tag-case", new DemoOptions { Executions = 0 });
        var random = new Random(11);
        var now = DateTimeOffset.UtcNow;
        for (var i = 0; i < TagsWritten.Length; i++)
        {
            var fid = Fids.New(now.AddMinutes(-i), random);
            using var writer = SqliteCliWriter.Open(Path.Combine(DataDir, "execution", DemoDataGenerator.Users[1].FolderName, fid, "sqlite3.db"));
            writer.Append("status", "running", now.AddMinutes(-i).ToUnixTimeSeconds());
            writer.Append("meta", System.Text.Json.JsonSerializer.Serialize(new { dict = new { summary = "Tagger", tags = TagsWritten[i] } }));
        }
        await StartHostAsync();
    }

    [Test]
    public async Task Each_listed_count_is_what_its_filter_lists()
    {
        var tags = (await Client.GetJson("/api/dashboard/tags")).GetProperty("tags").EnumerateArray()
            .Select(t => (Tag: t.Str("tag"), Count: t.GetProperty("count").GetInt32())).ToList();
        Assert.That(tags.Select(t => t.Tag), Is.Unique.Using((IEqualityComparer<string>)StringComparer.OrdinalIgnoreCase), "one row per tag, in any case");
        foreach (var (tag, count) in tags)
        {
            var listed = (await Client.GetJson($"/api/dashboard/running-agents?hours=999999&tags={Uri.EscapeDataString(tag)}")).GetProperty("total").GetInt32();
            var written = TagsWritten.Count(t => t.Contains(tag, StringComparer.OrdinalIgnoreCase));
            Assert.That((count, listed), Is.EqualTo((written, written)), tag);
        }
        Assert.That(tags, Has.Count.EqualTo(2));
    }
}
