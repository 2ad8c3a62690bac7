using System.Net;
using System.Text.Json;
using Kodosumi.Shared;
using Kodosumi.Shared.Demo;
using Kodosumi.TestSupport;
using Kodosumi.Tests.Support;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Kodosumi.Tests.Integration.Faults;

/// <summary>
/// Execution databases that fail to read beside good ones: a lock held by another connection is retried,
/// then quarantined, and recovers by itself; a file that is not a database is marked once and left alone
/// until it changes. Each test has its own host, since the quarantine's timing is part of what is tested.
/// </summary>
[Category("Integration")]
public class TransientFaultTests : InProcessHostTest
{
    const string Api = "/api/dashboard";

    async Task Start(TimeSpan probe, TimeSpan probeMax)
    {
        CreateDataDir("kodo-faults", new DemoOptions { Executions = 15, Seed = 21 });
        await StartHostAsync(settings: new Dictionary<string, string?>
        {
            ["Indexer:QuarantineAfter"] = "2",
            ["Indexer:QuarantineProbe"] = probe.ToString(),
            ["Indexer:QuarantineProbeMax"] = probeMax.ToString(),
        });
    }

    [TearDown]
    public void Stop() => DeleteDataSet();

    string NewExecutionDir(out string fid)
    {
        fid = Fids.New(DateTimeOffset.UtcNow, Random.Shared);
        return Path.Combine(Host.ExecutionRoot, DemoDataGenerator.Users[1].FolderName, fid);
    }

    async Task<JsonElement> Row(string fid)
    {
        var list = await Client.GetJson($"{Api}/running-agents?hours=999999&limit=5000&search={fid}");
        return list.GetProperty("agents").EnumerateArray().Single();
    }

    async Task<JsonElement> UntilRow(string fid, Func<JsonElement, bool> condition, string what, int seconds = 30)
    {
        JsonElement row = default;
        await Wait.Until(async () =>
        {
            var list = await Client.GetJson($"{Api}/running-agents?hours=999999&limit=5000&search={fid}");
            var rows = list.GetProperty("agents").EnumerateArray().ToList();
            return rows.Count == 1 && condition(row = rows[0]);
        }, TimeSpan.FromSeconds(seconds), what);
        return row;
    }

    async Task<JsonElement> HealthData() =>
        (await Client.GetJson("/health/ready")).GetProperty("checks").GetProperty("index").GetProperty("data");

    async Task<double> QuarantinedGauge()
    {
        var text = await Client.GetStringAsync("/metrics");
        var line = text.Split('\n').Single(l => l.StartsWith("kodosumi_executions_quarantined ", StringComparison.Ordinal));
        return double.Parse(line.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
    }

    static bool IsQuarantined(JsonElement row) => row.GetProperty("quarantined").ValueKind == JsonValueKind.Object;

    [Test]
    public async Task A_database_locked_by_another_connection_is_retried_then_quarantined_and_recovers_by_itself()
    {
        await Start(probe: TimeSpan.FromSeconds(2), probeMax: TimeSpan.FromSeconds(4));
        var dir = NewExecutionDir(out var fid);
        var database = Path.Combine(dir, "sqlite3.db");
        using var writer = SqliteCliWriter.Open(database);
        writer.Append("meta", """{"dict": {"summary": "Locked Agent"}}""");
        writer.Append("status", "running");
        await UntilRow(fid, r => r.Str("status") == "running" && r.GetProperty("event_count").GetInt32() == 2, "the execution is indexed");

        // The writer's connection takes the database for itself and keeps it after its commit:
        // every other connection, the indexer's included, gets SQLITE_BUSY from now on.
        writer.Run("PRAGMA locking_mode=EXCLUSIVE; BEGIN EXCLUSIVE;");
        writer.Append("stdout", "written under the lock");
        writer.Append("error", "Traceback (most recent call last):\nRuntimeError: under the lock");
        writer.Append("status", "error");
        writer.Run("COMMIT;");
        using (var reader = new SqliteConnection($"Data Source={database};Mode=ReadOnly;Pooling=False;Default Timeout=1"))
        {
            reader.Open();
            using var probe = reader.CreateCommand();
            probe.CommandText = "SELECT count(*) FROM monitor";
            Assert.That(() => probe.ExecuteScalar(), Throws.TypeOf<SqliteException>().With.Property(nameof(SqliteException.SqliteErrorCode)).EqualTo(5),
                "a reader really gets SQLITE_BUSY");
        }

        var row = await UntilRow(fid, IsQuarantined, "the locked execution is quarantined", seconds: 60);
        var quarantined = row.GetProperty("quarantined");
        Assert.That(quarantined.Str("reason"), Does.Contain("SQLite error 5").And.Contain("locked"));
        Assert.That(row.Str("problem"), Is.EqualTo(quarantined.Str("reason")));
        Assert.That(quarantined.GetProperty("retry_at").GetDouble(), Is.GreaterThan(quarantined.GetProperty("since").GetDouble()));
        Assert.That(row.Str("status"), Is.EqualTo("running"), "the last summary read stays shown");
        Assert.That(row.GetProperty("event_count").GetInt32(), Is.EqualTo(2));
        Assert.That((await HealthData()).GetProperty("executions_quarantined").GetInt32(), Is.EqualTo(1));
        Assert.That(await QuarantinedGauge(), Is.EqualTo(1), "the metric follows the quarantine");
        var details = await Client.GetJson($"{Api}/execution/{fid}/details?limit=10");
        Assert.That(details.GetProperty("metadata").GetProperty("quarantined").Str("reason"), Is.EqualTo(quarantined.Str("reason")));
        var stats = await Client.GetJson($"{Api}/agent-stats");
        Assert.That(stats.GetProperty("total_executions").GetInt32(), Is.EqualTo(16), "a quarantined execution stays counted");

        // Others are indexed meanwhile, through the watcher and the rescans.
        var otherDir = NewExecutionDir(out var other);
        using (var otherWriter = SqliteCliWriter.Open(Path.Combine(otherDir, "sqlite3.db")))
        {
            otherWriter.Append("status", "running");
            otherWriter.Append("status", "finished");
        }
        await UntilRow(other, r => r.Str("status") == "finished", "another execution is indexed while one is quarantined");

        // Probes come at the growing interval, not at every rescan (one per second here), and each fails quietly.
        var retryAts = new HashSet<double> { quarantined.GetProperty("retry_at").GetDouble() };
        var watchUntil = DateTime.UtcNow.AddSeconds(7);
        while (DateTime.UtcNow < watchUntil)
        {
            var now = await Row(fid);
            Assert.That(IsQuarantined(now), "still quarantined while locked");
            retryAts.Add(now.GetProperty("quarantined").GetProperty("retry_at").GetDouble());
            await Task.Delay(200);
        }
        Assert.That(retryAts.Count, Is.InRange(2, 4), "a probe at 2 s, then 4 s apart: a few in 7 s, not one per rescan");
        Assert.That(Host.Logs.Count(LogLevel.Warning, $"{fid}/sqlite3.db is quarantined"), Is.EqualTo(1), "logged when quarantined, not at each probe");

        // The lock is released: the next probe reads the database and everything written meanwhile.
        writer.Run("PRAGMA locking_mode=NORMAL; SELECT count(*) FROM monitor;");
        var recovered = await UntilRow(fid, r => !IsQuarantined(r), "the execution recovers once its database reads again", seconds: 30);
        Assert.That(recovered.GetProperty("problem").ValueKind, Is.EqualTo(JsonValueKind.Null));
        Assert.That(recovered.Str("status"), Is.EqualTo("error"));
        Assert.That((await HealthData()).GetProperty("executions_quarantined").GetInt32(), Is.Zero);
        Assert.That(await QuarantinedGauge(), Is.Zero);
        Assert.That(Host.Logs.Count(LogLevel.Information, $"{fid}/sqlite3.db reads again"), Is.EqualTo(1));
        writer.Close();
        await IndexVersusRecount.AssertEventually(Client, Host.ExecutionRoot, TimeSpan.FromSeconds(20));
    }

    [Test]
    public async Task A_file_that_is_not_a_database_is_marked_and_logged_once_and_read_again_only_when_it_changes()
    {
        // No probe by time within this test: only a change to the file may cause a read.
        await Start(probe: TimeSpan.FromMinutes(5), probeMax: TimeSpan.FromMinutes(10));
        var dir = NewExecutionDir(out var fid);
        Directory.CreateDirectory(dir);
        var database = Path.Combine(dir, "sqlite3.db");
        File.WriteAllBytes(database, Enumerable.Range(0, 8192).Select(i => (byte)(i * 13 + 1)).ToArray());

        var row = await UntilRow(fid, IsQuarantined, "the file is marked");
        Assert.That(row.Str("problem"), Does.Contain("SQLite error 26"));
        Assert.That(row.GetProperty("quarantined").Str("reason"), Is.EqualTo(row.Str("problem")));

        // Reads of the file, seen by the kernel (inotify IN_ACCESS), not by the service.
        var reads = 0;
        using var accesses = new FileSystemWatcher(dir, "sqlite3.db") { NotifyFilter = NotifyFilters.LastAccess };
        accesses.Changed += (_, _) => Interlocked.Increment(ref reads);
        accesses.EnableRaisingEvents = true;
        using (File.OpenRead(database)) { }
        _ = File.ReadAllBytes(database);
        await Wait.Until(() => Task.FromResult(Volatile.Read(ref reads) > 0), TimeSpan.FromSeconds(5), "the test sees reads of the file");
        await Task.Delay(300);
        Interlocked.Exchange(ref reads, 0);

        await Rescans(3);
        Assert.That(Volatile.Read(ref reads), Is.Zero, "not read again while unchanged, whatever the rescans");

        // A changed modification time is worth a probe; it fails the same way and is not logged again.
        File.SetLastWriteTimeUtc(database, DateTime.UtcNow.AddSeconds(-30));
        await Wait.Until(() => Task.FromResult(Volatile.Read(ref reads) > 0), TimeSpan.FromSeconds(10), "the changed file is read again");
        await Rescans(2);
        Assert.That(IsQuarantined(await Row(fid)));
        Assert.That(Host.Logs.Count(LogLevel.Warning, fid), Is.EqualTo(1), "one log line with the path");
        Assert.That(Host.Logs.Entries.Single(e => e.Message.Contains(fid, StringComparison.Ordinal)).Message, Does.Contain(database));
        Assert.That((await HealthData()).GetProperty("executions_quarantined").GetInt32(), Is.EqualTo(1));

        // Replaced by a real database: read at once, and everything equals the files.
        File.Delete(database);
        using (var writer = SqliteCliWriter.Open(database))
        {
            writer.Append("status", "running");
            writer.Append("status", "finished");
        }
        await UntilRow(fid, r => !IsQuarantined(r) && r.Str("status") == "finished", "the repaired execution is read");
        await IndexVersusRecount.AssertEventually(Client, Host.ExecutionRoot, TimeSpan.FromSeconds(20));
    }

    [Test]
    public async Task A_restart_probes_a_quarantined_database_at_once_instead_of_waiting_for_its_probe()
    {
        CreateDataDir("kodo-faults-restart", new DemoOptions { Executions = 5, Seed = 22 });
        var indexDir = TempDirs.Create("kodo-faults-restart-index");
        try
        {
            var indexPath = Path.Combine(indexDir, "index.db");
            var settings = new Dictionary<string, string?>
            {
                ["Indexer:QuarantineAfter"] = "1",
                ["Indexer:QuarantineProbe"] = "00:10:00",
                ["Indexer:QuarantineProbeMax"] = "00:20:00",
            };
            var fid = Fids.New(DateTimeOffset.UtcNow, Random.Shared);
            using var writer = SqliteCliWriter.Open(Path.Combine(DataDir, "execution", DemoDataGenerator.Users[1].FolderName, fid, "sqlite3.db"));
            writer.Append("status", "running");
            await StartHostAsync(settings: settings, indexPath: indexPath);
            writer.Run("PRAGMA locking_mode=EXCLUSIVE; BEGIN EXCLUSIVE;");
            writer.Append("status", "finished");
            writer.Run("COMMIT;");
            var row = await UntilRow(fid, IsQuarantined, "quarantined, with its probe ten minutes away");
            Assert.That(row.Str("status"), Is.EqualTo("running"));
            StopHost();
            writer.Run("PRAGMA locking_mode=NORMAL; SELECT count(*) FROM monitor;");
            writer.Close();

            await StartHostAsync(settings: settings, indexPath: indexPath);
            var after = await Row(fid);
            Assert.That(IsQuarantined(after), Is.False, "the first scan after the start reads it");
            Assert.That(after.Str("status"), Is.EqualTo("finished"));
            await IndexVersusRecount.AssertEventually(Client, Host.ExecutionRoot, TimeSpan.FromSeconds(10));
        }
        finally
        {
            TempDirs.Delete(indexDir);
        }
    }

    /// <summary>Waits for <paramref name="count"/> more full rescans to finish.</summary>
    async Task Rescans(int count)
    {
        for (var i = 0; i < count; i++)
        {
            var before = (await HealthData()).GetProperty("last_scan_at").ToString();
            await Wait.Until(async () => (await HealthData()).GetProperty("last_scan_at").ToString() != before,
                TimeSpan.FromSeconds(10), "a rescan runs");
        }
    }
}
