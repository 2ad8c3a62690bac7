using System.Text;
using System.Text.Json;
using Kodosumi.Api.Features.Dashboard;
using Kodosumi.Indexer.Store;
using Kodosumi.Shared.Model;

namespace Kodosumi.Tests.Store;

/// <summary>
/// The catalog holds a meta without its fid once for every execution of the same agent and user; whatever reads
/// it (the index's string, an answer, a comparison) sees the text each execution wrote.
/// </summary>
[Category("Unit")]
public class SharedMetaTests
{
    const string FidA = "6b10aa816659d98e44ca5c78", FidB = "6b10aa8a2a939dc9a38ae4da";

    static string MetaOf(string fid) =>
        $$$"""{"dict": {"fid": "{{{fid}}}", "username": "Ünïcode ✓", "summary": "Hymn \"Creator\"", "tags": ["a", "b"], "n": 1.50e3, "x": null}}""";

    static Utf8Json Parse(string json) => Utf8Json.Of(JsonDocument.Parse(json).RootElement);

    static ExecutionSummary Summary(string fid, string stamp = "1|2@3|-|-|-") =>
        new() { Fid = fid, UserId = "u", AgentName = "Hymn", Status = "running", MetaJson = Parse(MetaOf(fid)), SourceStamp = SourceStamp.Parse(stamp) };

    [Test]
    public void A_meta_without_its_fid_is_still_the_text_the_execution_wrote()
    {
        var whole = Parse(MetaOf(FidA));
        var shared = new Dictionary<string, byte[]>();
        var cut = whole.Without(FidA, rest => shared.TryAdd(Encoding.UTF8.GetString(rest), rest) ? rest : shared[Encoding.UTF8.GetString(rest)]);

        Assert.That(cut, Is.Not.SameAs(whole), "the fid was found and cut out");
        Assert.That(cut.ToString(), Is.EqualTo(MetaOf(FidA)));
        Assert.That((cut.Length, cut.Equals(whole), whole.Equals(cut), cut.GetHashCode()), Is.EqualTo((whole.Length, true, true, whole.GetHashCode())));
        var bytes = new byte[cut.Length];
        cut.CopyTo(bytes);
        Assert.That(bytes, Is.EqualTo(Encoding.UTF8.GetBytes(MetaOf(FidA))));

        var other = Parse(MetaOf(FidB)).Without(FidB, rest => shared.TryAdd(Encoding.UTF8.GetString(rest), rest) ? rest : shared[Encoding.UTF8.GetString(rest)]);
        Assert.That(shared, Has.Count.EqualTo(1), "two metas that differ only by the fid share the rest");
        Assert.That(other.Equals(cut), Is.False);
        Assert.That(other.ToString(), Is.EqualTo(MetaOf(FidB)));
        Assert.That(whole.Without("not-in-it", rest => rest), Is.SameAs(whole));
    }

    [Test]
    public void The_catalog_answers_each_execution_s_own_meta_and_a_refold_with_the_same_meta_is_no_change()
    {
        var catalog = new ExecutionCatalog(new IndexEvents(64));
        catalog.Apply([new UpsertExecution(Summary(FidA), [], false), new UpsertExecution(Summary(FidB), [], false)]);
        var version = catalog.Version;

        Assert.That(catalog.Find(FidA)!.MetaJson!.ToString(), Is.EqualTo(MetaOf(FidA)));
        Assert.That(catalog.Find(FidB)!.MetaJson!.ToString(), Is.EqualTo(MetaOf(FidB)));
        // An answer writes the meta as the parsed value would write itself.
        using var expected = JsonDocument.Parse(MetaOf(FidB));
        Assert.That(JsonSerializer.Serialize(new JsonText(catalog.Find(FidB)!.MetaJson!)), Is.EqualTo(JsonSerializer.Serialize(expected.RootElement)));

        // The same meta folded again (a new instance, whole) with only the stamp moved: nothing a client sees changed.
        catalog.Apply([new UpsertExecution(Summary(FidA, stamp: "1|2@4|-|-|-"), [], false)]);
        Assert.That(catalog.Version, Is.EqualTo(version));
    }
}
