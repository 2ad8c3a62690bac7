using Kodosumi.Indexer;
using Kodosumi.Indexer.Alerts;
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

    /// <summary>The load reads documents by hand: every field the mapper writes must read back as it was.</summary>
    [Test]
    public void A_summary_with_every_field_set_reads_back_equal()
    {
        var summary = new ExecutionSummary
        {
            Fid = "6750a1b2c3d4e5f6a7b8c9d0", UserId = "u", AgentName = "agent", Status = "error",
            StatusTimestamp = 1.5, StatusEventId = 2, FirstTimestamp = 0.25, LastTimestamp = 3.75, Runtime = 3.5,
            LatestError = "boom", LatestErrorTimestamp = 2.5, LatestErrorEventId = 7, ErrorCount = 1, EventCount = 9,
            UploadCount = 3, DownloadCount = 4, Tags = ["a", "b"], MetaJson = Utf8Json.Parse("""{"fid":"6750a1b2c3d4e5f6a7b8c9d0","n":1}"""),
            LastFoldedId = 9, SourceIdentity = "1:0.25", SourceStamp = SourceStamp.Parse("?|4096@5|32@6~|7|8"),
            Problem = "locked", FailedReads = 2, Warning = "bad utf-8",
            Quarantine = new Quarantine { Reason = "locked", Since = 1, TriedAt = 2, RetryAt = 3, Hard = true },
        };
        var unset = typeof(ExecutionSummary).GetProperties().Where(p => p.CanWrite)
            .Where(p => Equals(p.GetValue(summary), p.GetValue(new ExecutionSummary())) || p.GetValue(summary) is 0 or 0L or 0.0);
        Assert.That(unset.Select(p => p.Name), Is.Empty, "the sample sets every field");
        using (var store = Open())
            store.Commit([new UpsertExecution(summary, [Error(summary.Fid, 7)], Refolded: false)]);

        using var reopened = Open();
        var loaded = Loaded(reopened).Executions.Single();
        Assert.That(loaded with { Tags = summary.Tags }, Is.EqualTo(summary));
        Assert.That(loaded.Tags, Is.EqualTo(summary.Tags));
    }

    [Test]
    public void A_summary_with_only_defaults_reads_back_equal()
    {
        var summary = new ExecutionSummary { Fid = "6750a1b2c3d4e5f6a7b8c9d0", AgentName = "", UserId = "" };
        using (var store = Open())
            store.Commit([new UpsertExecution(summary, [], Refolded: false)]);
        using var reopened = Open();
        // The mapper does not store an empty string: the agent reads back as the default, as it always did.
        Assert.That(Loaded(reopened).Executions.Single() with { Tags = summary.Tags }, Is.EqualTo(summary with { AgentName = new ExecutionSummary().AgentName }));
    }

    [Test]
    public void Every_summary_and_error_is_loaded_across_many_chunks()
    {
        var fids = Enumerable.Range(0, 2_500).Select(i => $"6750a1b2c3d4e5f6{i:x8}").ToList();
        using (var store = Open())
            store.Commit([.. fids.Select(fid => Upsert(fid, "agent"))]);
        using var reopened = Open();
        var (executions, errors) = Loaded(reopened);
        Assert.That(executions.Select(e => e.Fid), Is.EquivalentTo(fids));
        Assert.That(errors.Select(e => e.Fid), Is.EquivalentTo(fids));
    }

    /// <summary>A file that opens but cannot be read to the end is moved aside and started afresh, as one that cannot be opened.</summary>
    [Test]
    public void An_index_damaged_past_its_first_pages_is_rebuilt_during_the_load()
    {
        var path = Path.Combine(TempDir, "index.db");
        using (var store = Open())
            store.Commit([.. Enumerable.Range(0, 2_000).Select(i => Upsert($"6750a1b2c3d4e5f6{i:x8}", "agent"))]);
        var bytes = File.ReadAllBytes(path);
        new Random(5).NextBytes(bytes.AsSpan(bytes.Length / 2, bytes.Length / 4));
        File.WriteAllBytes(path, bytes);

        using var reopened = Open();
        Assert.That(reopened.RebuildReason, Is.Null, "the file opens");
        var loads = new List<int>();
        reopened.Load(stored => loads.Add(stored.Summaries.Count()));
        Assert.That(reopened.RebuildReason, Does.StartWith("the index file was damaged"));
        Assert.That(loads, Is.EqualTo(new[] { 0 }), "the interrupted load is followed by one of nothing");
        Assert.That(Directory.GetFiles(TempDir, "index.db.broken-*"), Is.Not.Empty);
        reopened.Commit([Upsert("6750a1b2c3d4e5f6a7b8c9d0", "after")]);
        Assert.That(Loaded(reopened).Executions.Single().AgentName, Is.EqualTo("after"));
    }

    /// <summary>
    /// Requests read error messages and the outbox while the worker writes and a restart streams the index: every
    /// read must see a whole, right document (LiteDB 5's page cache can hand concurrent readers recycled pages).
    /// </summary>
    [Test]
    public void Reads_from_several_threads_during_writes_and_a_load_see_the_documents_written()
    {
        const int executions = 2_000;
        static string Fid(int i) => $"6750a1b2c3d4e5f6{i:x8}";
        static string Message(int i) => $"boom {i} " + new string((char)('a' + i % 26), 300 + i % 700);
        using var store = Open();
        foreach (var batch in Enumerable.Range(0, executions).Chunk(500))
            store.Commit([.. batch.Select(i => new UpsertExecution(Summary(Fid(i), "agent"), [Error(Fid(i), 7) with { Message = Message(i) }], Refolded: false))]);

        var wrong = new System.Collections.Concurrent.ConcurrentBag<string>();
        using var stop = new CancellationTokenSource();
        var readers = Enumerable.Range(0, 3).Select(seed => Task.Run(() =>
        {
            var random = new Random(seed);
            while (!stop.IsCancellationRequested)
            {
                var i = random.Next(executions);
                if (store.FindError(ErrorEvent.KeyOf(Fid(i), 7))?.Message is var message && message != Message(i)) wrong.Add($"{i}: {message?[..Math.Min(20, message.Length)]}");
                store.OutboxState();
            }
        })).ToList();
        try
        {
            for (var round = 0; round < 6; round++)
            {
                var loaded = 0;
                store.Load(stored => loaded = stored.Summaries.Count());
                Assert.That(loaded, Is.EqualTo(executions + round * 50));
                store.Commit([.. Enumerable.Range(round * 50, 50).Select(i => Upsert(Fid(executions + i), "more"))],
                    [new OutboxAlert { AlertId = $"a{round}", Webhook = 0, Event = "failed", CreatedAt = round }]);
            }
        }
        finally
        {
            stop.Cancel();
            Task.WaitAll([.. readers]);
        }
        Assert.That(wrong, Is.Empty);
        Assert.That(store.OutboxState(), Is.EqualTo((6, (double?)0)), "the outbox state read after each write");
    }

    /// <summary>Logouts are no derived data: a rebuild from the execution databases cannot restore them, so it keeps them.</summary>
    [TestCase("schema")]
    [TestCase("damaged")]
    public void A_rebuilt_index_keeps_the_logouts_the_old_file_still_yields(string why)
    {
        var path = Path.Combine(TempDir, "index.db");
        var expires = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds();
        using (var store = Open())
        {
            store.KeepRevoked("token-key", expires);
            store.Commit([.. Enumerable.Range(0, 2_000).Select(i => Upsert($"6750a1b2c3d4e5f6{i:x8}", "agent"))]);
        }
        if (why == "schema")
        {
            using var db = new LiteDB.LiteDatabase(path);
            db.UserVersion = IndexStore.SchemaVersion + 1;
        }
        else
        {
            var bytes = File.ReadAllBytes(path);
            new Random(5).NextBytes(bytes.AsSpan(bytes.Length / 2, bytes.Length / 4));
            File.WriteAllBytes(path, bytes);
        }

        using var reopened = Open();
        reopened.Load(stored => stored.Summaries.Count());
        Assert.That(reopened.RebuildReason, Is.Not.Null, "rebuilt");
        Assert.That(Loaded(reopened).Executions, Is.Empty);
        Assert.That(reopened.RevokedAt(DateTimeOffset.UtcNow.ToUnixTimeSeconds()).Select(r => (r.Id, r.ExpiresUnixSeconds)),
            Is.EqualTo(new[] { ("token-key", expires) }));
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
