using System.Net;
using System.Text.Json;
using Kodosumi.Shared;
using Kodosumi.Shared.Demo;
using Kodosumi.TestSupport;
using Kodosumi.Tests.Support;

namespace Kodosumi.Tests.Integration;

/// <summary>The index outlives the process: a restart reuses it and folds only what changed meanwhile.</summary>
[Category("Integration")]
public class RestartTests
{
    [Test]
    public async Task A_restart_reuses_the_index_and_folds_only_new_rows()
    {
        using var set = await IndexedDemo("kodo-restart", new DemoOptions { Executions = 25, Seed = 5 });
        var (dataDir, root, indexPath, expected) = set;

        // While the service is down, one execution gets two more events.
        var changed = expected[0];
        using (var writer = SqliteCliWriter.Open(Path.Combine(root, changed.UserId, changed.Fid, "sqlite3.db")))
        {
            writer.Append("stdout", "after the restart", changed.Last + 1);
            writer.Append("status", "finished", changed.Last + 2);
        }

        using var second = new IndexerHost(dataDir, indexPath);
        using var again = await second.StartAsync();
        var data = Data(await again.GetJson("/health/ready"));
        Assert.That(data.GetProperty("executions_indexed").GetInt32(), Is.EqualTo(25));
        Assert.That(data.GetProperty("folded_since_start").GetInt32(), Is.EqualTo(1), "only the changed execution is folded again");
        var row = (await again.GetJson($"/api/dashboard/execution/{changed.Fid}/details?limit=1")).GetProperty("metadata");
        Assert.That(row.GetProperty("event_count").GetInt64(), Is.EqualTo(changed.Events + 2), "the new rows are counted once");
        Assert.That(row.Str("status"), Is.EqualTo("finished"));
        Assert.That(row.GetProperty("error_count").GetInt32(), Is.EqualTo(changed.Errors));
    }

    [Test]
    public async Task A_settled_execution_changed_while_the_service_was_down_is_folded_before_ready_and_unchanged_ones_are_not()
    {
        // Files quiet for a day: the load's stamp check, not the first scan, vouches for the finished ones.
        using var set = await IndexedDemo("kodo-restart-settled", new DemoOptions { Executions = 25, Seed = 7 }, root =>
        {
            foreach (var execution in Directory.GetDirectories(root).SelectMany(Directory.GetDirectories)) Backdate(execution, TimeSpan.FromDays(1));
        });
        var (dataDir, root, indexPath, expected) = set;

        // While the service is down, a finished execution long quiet gets one more event, written in place.
        var changed = expected.First(e => e.Status == "finished" && e.Last < DateTimeOffset.UtcNow.AddDays(-1).ToUnixTimeSeconds());
        var folder = Path.Combine(root, changed.UserId, changed.Fid);
        using (var writer = SqliteCliWriter.Open(Path.Combine(folder, "sqlite3.db")))
            writer.Append("stdout", "while the service was down", changed.Last + 1);
        Backdate(folder, TimeSpan.FromHours(1));

        using var second = new IndexerHost(dataDir, indexPath);
        using var again = await second.StartAsync();
        Assert.That(Data(await again.GetJson("/health/ready")).GetProperty("folded_since_start").GetInt32(), Is.EqualTo(1),
            "only the changed execution is folded again");
        var row = (await again.GetJson($"/api/dashboard/execution/{changed.Fid}/details?limit=1")).GetProperty("metadata");
        Assert.That(row.GetProperty("event_count").GetInt64(), Is.EqualTo(changed.Events + 1), "the row written while down is counted");
    }

    [Test]
    public async Task Executions_deleted_moved_or_resumed_while_the_service_was_down_show_so_when_it_is_ready()
    {
        // Within the last hours: some runs are still live.
        using var set = await IndexedDemo("kodo-restart-moves", new DemoOptions { Executions = 25, Seed = 11, Span = TimeSpan.FromHours(5) });
        var (dataDir, root, indexPath, expected) = set;
        var live = expected.First(e => !ExecutionStatus.IsFinal(e.Status));
        var (deleted, moved) = (expected.First(e => e != live), expected.Last(e => e != live));
        var newOwner = expected.Select(e => e.UserId).First(user => user != moved.UserId);

        // While the service is down: one execution is deleted, one moves to another user, a live one gets a row.
        Directory.Delete(Path.Combine(root, deleted.UserId, deleted.Fid), recursive: true);
        Directory.Move(Path.Combine(root, moved.UserId, moved.Fid), Path.Combine(root, newOwner, moved.Fid));
        using (var writer = SqliteCliWriter.Open(Path.Combine(root, live.UserId, live.Fid, "sqlite3.db")))
            writer.Append("stdout", "while the service was down", live.Last + 1);

        using var second = new IndexerHost(dataDir, indexPath);
        using var again = await second.StartAsync();
        Assert.That(Data(await again.GetJson("/health/ready")).GetProperty("executions_indexed").GetInt32(), Is.EqualTo(24));
        Assert.That((await again.GetAsync($"/api/dashboard/execution/{deleted.Fid}/details?limit=1")).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        var movedRow = (await again.GetJson($"/api/dashboard/execution/{moved.Fid}/details?limit=1")).GetProperty("metadata");
        Assert.That(movedRow.Str("user_id"), Is.EqualTo(newOwner));
        var liveRow = (await again.GetJson($"/api/dashboard/execution/{live.Fid}/details?limit=1")).GetProperty("metadata");
        Assert.That(liveRow.GetProperty("event_count").GetInt64(), Is.EqualTo(live.Events + 1), "the live run's row written while down is counted");
    }

    /// <summary>
    /// A demo data set in new folders named after <paramref name="prefix"/>, after <paramref name="prepare"/> (given the
    /// execution root) recounted, then indexed once by a run of the service until ready, which folds every execution.
    /// </summary>
    static async Task<IndexedSet> IndexedDemo(string prefix, DemoOptions demo, Action<string>? prepare = null)
    {
        var folders = ServiceFolders.Create(prefix);
        var set = new IndexedSet(folders, Path.Combine(folders.IndexDir, "index.db"));
        try
        {
            new DemoDataGenerator(demo).Generate(set.DataDir);
            prepare?.Invoke(set.Root);
            set.Expected.AddRange(Recount.All(set.Root));
            using var first = new IndexerHost(set.DataDir, set.IndexPath);
            using var client = await first.StartAsync();
            Assert.That(Data(await client.GetJson("/health/ready")).GetProperty("folded_since_start").GetInt32(), Is.EqualTo(demo.Executions));
            return set;
        }
        catch
        {
            set.Dispose();
            throw;
        }
    }

    sealed class IndexedSet(ServiceFolders folders, string indexPath) : IDisposable
    {
        public string DataDir => folders.DataDir;
        public string Root => Path.Combine(DataDir, "execution");
        public string IndexPath => indexPath;
        /// <summary>What the databases said before the first run.</summary>
        public List<Expected> Expected { get; } = [];

        public void Deconstruct(out string dataDir, out string root, out string indexPath, out List<Expected> expected) =>
            (dataDir, root, indexPath, expected) = (DataDir, Root, IndexPath, Expected);

        public void Dispose() => folders.Dispose();
    }

    /// <summary>Sets the times of an execution folder's entries, then of the folder itself, back by <paramref name="age"/>.</summary>
    static void Backdate(string folder, TimeSpan age)
    {
        var time = DateTime.UtcNow - age;
        foreach (var entry in Directory.GetFileSystemEntries(folder)) File.SetLastWriteTimeUtc(entry, time);
        Directory.SetLastWriteTimeUtc(folder, time);
    }

    [TestCase("truncated")]
    [TestCase("garbage")]
    public async Task A_damaged_index_is_moved_aside_and_rebuilt_from_the_execution_databases(string damage)
    {
        using var folders = ServiceFolders.Create("kodo-damaged");
        var (dataDir, indexDir) = folders;
        new DemoDataGenerator(new DemoOptions { Executions = 30, Seed = 8 }).Generate(dataDir);
        var indexPath = Path.Combine(indexDir, "index.db");
        using (var first = new IndexerHost(dataDir, indexPath))
            (await first.StartAsync()).Dispose();

        var bytes = await File.ReadAllBytesAsync(indexPath);
        // Garbage over every page, header included, cannot be read; a cut file may read as less than it
        // held, which must not show fewer errors or executions than the databases say.
        // The cut is relative: how much of the index sits in the data file (not its log) varies.
        if (damage == "truncated")
            bytes = bytes[..(bytes.Length * 2 / 3)];
        else
            Random.Shared.NextBytes(bytes);
        await File.WriteAllBytesAsync(indexPath, bytes);

        using var second = new IndexerHost(dataDir, indexPath);
        using var client = await second.StartAsync();
        var data = Data(await client.GetJson("/health/ready"));
        Assert.That(data.GetProperty("executions_indexed").GetInt32(), Is.EqualTo(30));
        if (damage == "garbage")
        {
            Assert.That(data.GetProperty("folded_since_start").GetInt32(), Is.EqualTo(30), "rebuilt from the sources");
            Assert.That(Directory.GetFiles(indexDir, "index.db.broken-*"), Is.Not.Empty, "the damaged file is kept aside");
        }
        var expected = Recount.All(Path.Combine(dataDir, "execution"));
        var stats = await client.GetJson("/api/dashboard/agent-stats");
        Assert.That(stats.GetProperty("by_status").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32()),
            Is.EquivalentTo(expected.CountBy(e => e.Status)));
        var errors = await client.GetJson("/api/dashboard/errors?hours=999999&limit=5000");
        Assert.That(errors.GetProperty("total").GetInt32(), Is.EqualTo(expected.Sum(e => e.Errors)));
    }

    static JsonElement Data(JsonElement health) => health.GetProperty("checks").GetProperty("index").GetProperty("data");
}
