using Kodosumi.Indexer;
using Kodosumi.Indexer.Store;
using Kodosumi.Shared.Model;
using Kodosumi.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Kodosumi.Tests.Store;

/// <summary>The LiteDB index itself, opened and reopened as the service does.</summary>
[Category("Unit")]
public class IndexStoreTests : TempFolderTest
{
    IndexStore Open() => new(Options.Create(new IndexerOptions { IndexPath = Path.Combine(TempDir, "index.db") }), NullLogger<IndexStore>.Instance);

    /// <summary>
    /// Execution folders are names on a case-sensitive file system: two fids that differ only in case are two
    /// executions, and the index must keep both (LiteDB's default collation ignores case and kept one).
    /// </summary>
    [Test]
    public void Fids_that_differ_only_in_case_are_two_executions()
    {
        const string lower = "6750a1b2c3d4e5f6a7b8c9d0", upper = "6750A1B2C3D4E5F6A7B8C9D0";
        using (var store = Open())
        {
            store.Commit([Upsert(lower, "first"), Upsert(upper, "second")]);
        }
        using var reopened = Open();
        var (executions, errors) = Loaded(reopened);
        Assert.That(executions.Select(e => (e.Fid, e.AgentName)), Is.EquivalentTo(new[] { (lower, "first"), (upper, "second") }));
        Assert.That(errors.Select(e => e.Fid), Is.EquivalentTo(new[] { lower, upper }));
        Assert.That(reopened.FindError(ErrorEvent.KeyOf(upper, 7))?.Fid, Is.EqualTo(upper));
    }

    static (List<ExecutionSummary> Executions, List<ErrorEvent> Errors) Loaded(IndexStore store)
    {
        (List<ExecutionSummary>, List<ErrorEvent>) loaded = ([], []);
        store.Load(stored => loaded = ([.. stored.Summaries], [.. stored.ErrorPlaces]));
        return loaded;
    }

    static ExecutionSummary Summary(string fid, string agent) =>
        new() { Fid = fid, UserId = "u", AgentName = agent, SourceStamp = SourceStamp.Parse("1|2@3|-|-|-") };

    static UpsertExecution Upsert(string fid, string agent) => new(Summary(fid, agent), [Error(fid, 7)], Refolded: false);

    static ErrorEvent Error(string fid, long eventId) =>
        new() { Id = ErrorEvent.KeyOf(fid, eventId), Fid = fid, UserId = "u", EventId = eventId, Timestamp = 1, Message = "boom" };
}
