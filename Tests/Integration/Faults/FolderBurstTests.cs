using System.Globalization;
using Kodosumi.Shared;
using Kodosumi.Shared.Demo;
using Kodosumi.Tests.Support;
using Microsoft.Data.Sqlite;

namespace Kodosumi.Tests.Integration.Faults;

/// <summary>
/// Thousands of execution folders, databases and files already inside, appear at once while the service runs.
/// Periodic rescans are ten minutes apart: the watcher's events, or the rescan its overflow asks for, must find them all.
/// </summary>
[Category("Integration")]
public class FolderBurstTests
{
    const int PerWay = 1000;

    [Test]
    public async Task Three_thousand_folders_moved_in_or_created_at_once_with_their_files_are_all_found()
    {
        var dataDir = TempDirs.Create("kodo-burst");
        var staging = TempDirs.Create("kodo-burst-staging");
        try
        {
            new DemoDataGenerator(new DemoOptions { Executions = 10, Seed = 51 }).Generate(dataDir);
            var templates = Enumerable.Range(0, 5).Select(i => Template(staging, i)).ToList();
            // One way: a whole user folder with its executions moved in by a single rename.
            var newUserId = Guid.NewGuid().ToString();
            var newUser = Path.Combine(staging, newUserId);
            for (var i = 0; i < PerWay; i++) MakeExecution(newUser, templates[i % templates.Count], i);
            // The second: executions moved one by one, as fast as possible, into a user folder already watched.
            var loose = Path.Combine(staging, "loose");
            var looseFolders = Enumerable.Range(0, PerWay).Select(i => MakeExecution(loose, templates[(i + 2) % templates.Count], i)).ToList();

            using var host = new IndexerHost(dataDir, rescan: TimeSpan.FromMinutes(10));
            using var client = await host.StartAsync();
            var root = host.ExecutionRoot;
            var target = Path.Combine(root, DemoDataGenerator.Users[1].FolderName);
            Directory.Move(newUser, Path.Combine(root, newUserId));
            foreach (var folder in looseFolders) Directory.Move(folder, Path.Combine(target, Path.GetFileName(folder)));
            // The third: created in place, each folder written into right after it appears (the watcher adds
            // a watch for a new folder only after hearing of it, and misses what happens inside before that).
            var inPlace = Path.Combine(root, DemoDataGenerator.Users[2].FolderName);
            for (var i = 0; i < PerWay; i++) MakeExecution(inPlace, templates[(i + 4) % templates.Count], i);

            await IndexVersusRecount.AssertEventually(client, root, TimeSpan.FromSeconds(180));
            var stats = await client.GetJson("/api/dashboard/agent-stats");
            Assert.That(stats.GetProperty("total_executions").GetInt32(), Is.EqualTo(10 + 3 * PerWay));
        }
        finally
        {
            TempDirs.Delete(dataDir);
            TempDirs.Delete(staging);
        }
    }

    /// <summary>A finished execution database (no -wal): a different status, agent and error count per template.</summary>
    static string Template(string dir, int n)
    {
        var path = Path.Combine(dir, $"template-{n}.db");
        using (var db = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            db.Open();
            using var cmd = db.CreateCommand();
            var t = 1_790_000_000.0 + n * 100;
            cmd.CommandText = string.Create(CultureInfo.InvariantCulture, $$$"""
                CREATE TABLE monitor (id INTEGER PRIMARY KEY AUTOINCREMENT, timestamp REAL NOT NULL, kind TEXT NOT NULL, message TEXT NOT NULL);
                INSERT INTO monitor (timestamp, kind, message) VALUES ({{{t}}}, 'status', 'starting');
                INSERT INTO monitor (timestamp, kind, message) VALUES ({{{t + 1}}}, 'meta', '{"dict": {"summary": "Burst {{{n}}}"}}');
                INSERT INTO monitor (timestamp, kind, message) VALUES ({{{t + 2}}}, 'status', 'running');
                """);
            for (var e = 0; e < n % 3; e++)
                cmd.CommandText += string.Create(CultureInfo.InvariantCulture, $"INSERT INTO monitor (timestamp, kind, message) VALUES ({t + 3 + e}, 'error', 'Traceback {e}');");
            cmd.CommandText += string.Create(CultureInfo.InvariantCulture,
                $"INSERT INTO monitor (timestamp, kind, message) VALUES ({t + 9}, 'status', '{(n % 3 == 0 ? "finished" : "error")}');");
            cmd.ExecuteNonQuery();
        }
        return path;
    }

    static string MakeExecution(string userDir, string template, int i)
    {
        var fid = Fids.New(DateTimeOffset.UtcNow.AddSeconds(-i), Random.Shared);
        var dir = Path.Combine(userDir, fid);
        Directory.CreateDirectory(dir);
        File.Copy(template, Path.Combine(dir, "sqlite3.db"));
        if (i % 2 == 0)
        {
            Directory.CreateDirectory(Path.Combine(dir, "in"));
            File.WriteAllText(Path.Combine(dir, "in", "upload.txt"), "in");
        }
        if (i % 3 == 0)
        {
            Directory.CreateDirectory(Path.Combine(dir, "out", "nested"));
            File.WriteAllText(Path.Combine(dir, "out", "nested", "result.json"), "{}");
        }
        return dir;
    }
}
