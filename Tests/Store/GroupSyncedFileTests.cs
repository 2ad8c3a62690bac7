using Kodosumi.Indexer.Store;
using Kodosumi.Tests.Support;
using LiteDB;
using LiteDB.Engine;

namespace Kodosumi.Tests.Store;

/// <summary>LiteDB's log on a real file: many flushes make one sync, and every commit is in the file LiteDB reopens.</summary>
[Category("Unit")]
public class GroupSyncedFileTests : TempFolderTest
{
    [Test]
    public async Task A_burst_of_flushes_makes_one_sync_after_them()
    {
        using var log = new GroupSyncedFile(Path.Combine(TempDir, "index-log.db"));
        var page = new byte[8192];
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < 1000; i++)
        {
            log.Write(page, 0, page.Length);
            log.Flush();
        }
        var intervals = (int)(clock.Elapsed / GroupSyncedFile.SyncInterval);
        await Wait.Until(() => Task.FromResult(log.Syncs > 0), TimeSpan.FromSeconds(5), "a sync follows the flushes");
        await Task.Delay(GroupSyncedFile.SyncInterval * 3);
        var syncs = log.Syncs;
        Assert.That(syncs, Is.LessThanOrEqualTo(intervals + 1), $"1,000 flushes in {intervals} intervals: at most one sync per interval, and one after");

        log.Flush();
        await Wait.Until(() => Task.FromResult(log.Syncs == syncs + 1), TimeSpan.FromSeconds(5), "a later flush asks for another");
    }

    [Test]
    public void Commits_through_it_are_all_in_the_index_that_is_opened_next()
    {
        var path = Path.Combine(TempDir, "index.db");
        var logPath = Path.Combine(TempDir, "index-log.db");
        for (var round = 0; round < 3; round++)
        {
            using var log = new GroupSyncedFile(logPath);
            using var db = new LiteDatabase(new LiteEngine(new EngineSettings { Filename = path, LogStream = log }));
            var docs = db.GetCollection("docs");
            Assert.That(docs.Count(), Is.EqualTo(round * 500), "every earlier commit was replayed from the log or the data file");
            for (var batch = 0; batch < 5; batch++)
            {
                db.BeginTrans();
                for (var i = 0; i < 100; i++) docs.Insert(new BsonDocument { ["_id"] = $"{round}-{batch}-{i}", ["payload"] = new string('x', 2000) });
                db.Commit();
            }
            if (round == 1) db.Checkpoint();
        }
    }
}
