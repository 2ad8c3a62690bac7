using Kodosumi.Indexer;
using Kodosumi.Indexer.Store;
using Kodosumi.Indexer.Worker;
using Kodosumi.Shared.Model;
using Kodosumi.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Kodosumi.Tests.Worker;

/// <summary>What the index held at start reaches the catalog only where a summary agrees with its stored error events.</summary>
[Category("Unit")]
public class ConsistentLoadTests : TempFolderTest
{
    const string Agrees = "6750a1b2c3d4e5f6a7b8c901", CountsMore = "6750a1b2c3d4e5f6a7b8c902",
        Orphan = "6750a1b2c3d4e5f6a7b8c903", NoErrors = "6750a1b2c3d4e5f6a7b8c904", ErrorsUncounted = "6750a1b2c3d4e5f6a7b8c905";

    [Test]
    public void Summaries_that_disagree_with_their_stored_errors_and_errors_without_a_summary_are_forgotten()
    {
        var options = Options.Create(new IndexerOptions { IndexPath = Path.Combine(TempDir, "index.db") });
        using var store = new IndexStore(options, NullLogger<IndexStore>.Instance);
        store.Commit(
        [
            new UpsertExecution(Summary(Agrees, errorCount: 2), [Error(Agrees, 3), Error(Agrees, 4)], Refolded: false),
            new UpsertExecution(Summary(CountsMore, errorCount: 2), [Error(CountsMore, 3)], Refolded: false),
            // An error event without its summary, as a damaged index can leave it.
            new UpsertExecution(Summary(NoErrors, errorCount: 0), [Error(Orphan, 3)], Refolded: false),
            new UpsertExecution(Summary(ErrorsUncounted, errorCount: 0), [Error(ErrorsUncounted, 3)], Refolded: false),
        ]);
        List<string> summaries = [], errors = [], forgotten = [];
        store.Load(stored =>
        {
            var load = new ConsistentLoad(stored);
            summaries = [.. load.Summaries().Select(s => s.Fid)];
            errors = [.. load.Errors().Select(e => e.Id)];
            forgotten = [.. load.Forgotten()];
        });

        Assert.That(summaries, Is.EquivalentTo(new[] { Agrees, NoErrors }));
        Assert.That(errors, Is.EquivalentTo(new[] { ErrorEvent.KeyOf(Agrees, 3), ErrorEvent.KeyOf(Agrees, 4) }));
        Assert.That(forgotten, Is.EquivalentTo(new[] { CountsMore, ErrorsUncounted, Orphan }));
    }

    static ExecutionSummary Summary(string fid, int errorCount) => new() { Fid = fid, UserId = "u", ErrorCount = errorCount };

    static ErrorEvent Error(string fid, long eventId) =>
        new() { Id = ErrorEvent.KeyOf(fid, eventId), Fid = fid, UserId = "u", EventId = eventId, Timestamp = eventId, Message = "boom" };
}
