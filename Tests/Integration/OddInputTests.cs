using System.Text.Json;
using Kodosumi.Shared;
using Kodosumi.Shared.Demo;
using Kodosumi.Tests.Support;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Kodosumi.Tests.Integration;

/// <summary>
/// Broken and unusual execution folders beside good ones: each bad one is logged once with its path,
/// marked in its problem field and retried, and never stops the rest.
/// </summary>
[Category("Integration")]
public class OddInputTests : InProcessHostTest
{
    const string Api = "/api/dashboard";
    List<Expected> _good = [];
    readonly Dictionary<string, string> _odd = [];

    [OneTimeSetUp]
    public async Task StartBesideBrokenExecutions()
    {
        CreateDataDir("kodo-odd", new DemoOptions { Executions = 30, Seed = 11 });
        var root = ExecutionRoot;
        _good = Recount.All(root);

        var user = Path.Combine(root, DemoDataGenerator.Users[2].FolderName);
        string Make(string name)
        {
            var fid = Fids.New(DateTimeOffset.UtcNow.AddMinutes(-_odd.Count - 1), Random.Shared);
            var dir = Path.Combine(user, fid);
            Directory.CreateDirectory(dir);
            _odd[name] = fid;
            return dir;
        }

        File.WriteAllBytes(Path.Combine(Make("zero-byte"), "sqlite3.db"), []);
        var garbage = Enumerable.Range(0, 8192).Select(i => (byte)(i * 7)).ToArray();
        File.WriteAllBytes(Path.Combine(Make("corrupt"), "sqlite3.db"), garbage);
        File.WriteAllBytes(Path.Combine(Make("to-repair"), "sqlite3.db"), garbage);
        using (var db = Create(Path.Combine(Make("table-less"), "sqlite3.db"), withMonitor: false))
            Exec(db, "CREATE TABLE other (x)");
        Make("no-database");
        Directory.CreateDirectory(Path.Combine(user, ".hidden-not-an-execution"));

        var half = Path.Combine(Make("half-written"), "sqlite3.db");
        using (var db = Create(Path.Combine(DataDir, "whole.db"), withMonitor: true))
            for (var i = 0; i < 200; i++) Insert(db, i, "stdout", new string('z', 2000));
        SqliteConnection.ClearAllPools();
        var bytes = File.ReadAllBytes(Path.Combine(DataDir, "whole.db"));
        File.WriteAllBytes(half, bytes[..(bytes.Length / 2)]);

        using (var db = Create(Path.Combine(Make("invalid-utf8-and-json"), "sqlite3.db"), withMonitor: true))
        {
            Insert(db, 1, "status", "running");
            Insert(db, 2, "meta", "{\"dict\": {\"summary\": broken");
            Exec(db, "INSERT INTO monitor (timestamp, kind, message) VALUES (3, 'error', CAST(X'4572726F723A20C328FF' AS TEXT))");
            Insert(db, 4, "status", "error");
        }
        using (var db = Create(Path.Combine(Make("huge-messages"), "sqlite3.db"), withMonitor: true))
        {
            Insert(db, 1, "meta", JsonSerializer.Serialize(new { dict = new { summary = "Huge" } }));
            Insert(db, 2, "final", JsonSerializer.Serialize(new { dict = new { result = new string('r', 6_000_000) } }));
            Insert(db, 3, "error", "Traceback:\n" + new string('e', 3_000_000));
            Insert(db, 4, "status", "finished");
        }
        // A finished database whose -wal/-shm a read-only reader left behind: reads touch -shm.
        var leftover = Path.Combine(Make("leftover-wal"), "sqlite3.db");
        using (var db = Create(leftover, withMonitor: true)) Insert(db, 1, "status", "finished");
        using (var reader = new SqliteConnection($"Data Source={leftover};Mode=ReadOnly;Pooling=False"))
        {
            reader.Open();
            Exec(reader, "SELECT count(*) FROM monitor");
        }
        SqliteConnection.ClearAllPools();

        await StartHostAsync();
    }

    async Task<JsonElement> Row(string name) =>
        (await Client.GetJson($"{Api}/execution/{_odd[name]}/details?limit=10")).GetProperty("metadata");

    [Test]
    public async Task Good_executions_are_all_indexed_beside_broken_ones()
    {
        var list = await Client.GetJson($"{Api}/running-agents?hours=999999&limit=5000");
        var rows = list.GetProperty("agents").EnumerateArray().ToDictionary(r => r.Str("fid"));
        Assert.That(list.GetProperty("total").GetInt32(), Is.EqualTo(_good.Count + _odd.Count));
        foreach (var e in _good)
        {
            Assert.That(rows[e.Fid].Str("status"), Is.EqualTo(e.Status));
            Assert.That(rows[e.Fid].GetProperty("event_count").GetInt64(), Is.EqualTo(e.Events));
            Assert.That(rows[e.Fid].GetProperty("problem").ValueKind, Is.EqualTo(JsonValueKind.Null));
        }
        Assert.That((await Client.GetAsync("/health/ready")).IsSuccessStatusCode);
    }

    [TestCase("zero-byte", "no monitor table")]
    [TestCase("table-less", "no monitor table")]
    [TestCase("corrupt", "SQLite error")]
    [TestCase("half-written", "SQLite error")]
    [TestCase("no-database", "no database")]
    public async Task A_broken_execution_is_listed_with_its_problem(string name, string problem)
    {
        var row = await Row(name);
        Assert.That(row.Str("problem"), Does.Contain(problem));
        Assert.That(row.Str("status"), Is.EqualTo("unknown"));
    }

    [Test]
    public async Task Each_problem_is_logged_once_with_its_path_although_it_is_retried()
    {
        // Rescans run every second here; wait for a few of them.
        await Task.Delay(3500);
        foreach (var name in new[] { "zero-byte", "corrupt", "table-less", "half-written", "no-database" })
            Assert.That(Host.Logs.Count(LogLevel.Warning, _odd[name]), Is.EqualTo(1), name);
        var health = await Client.GetJson("/health/ready");
        var list = await Client.GetJson($"{Api}/running-agents?hours=999999&limit=5000");
        var withProblems = list.GetProperty("agents").EnumerateArray().Count(r => r.GetProperty("problem").ValueKind != JsonValueKind.Null);
        Assert.That(withProblems, Is.InRange(5, 6), "the five broken ones, and the one to repair until it is");
        Assert.That(health.GetProperty("checks").GetProperty("index").GetProperty("data").GetProperty("executions_with_problems").GetInt32(), Is.EqualTo(withProblems));
    }

    [Test]
    public async Task Invalid_utf8_and_invalid_json_are_indexed_with_a_warning()
    {
        var row = await Row("invalid-utf8-and-json");
        Assert.That(row.Str("status"), Is.EqualTo("error"));
        Assert.That(row.GetProperty("event_count").GetInt32(), Is.EqualTo(4));
        Assert.That(row.GetProperty("error_count").GetInt32(), Is.EqualTo(1));
        Assert.That(row.Str("agent_name"), Is.EqualTo("Unknown"));
        Assert.That(row.Str("warning"), Does.Contain("event 2 (meta)"));
        Assert.That(row.Str("error"), Does.StartWith("Error: "));
        Assert.That(row.GetProperty("problem").ValueKind, Is.EqualTo(JsonValueKind.Null));
    }

    [Test]
    public async Task Leftover_wal_files_neither_stall_the_rescans_nor_confuse_the_summary()
    {
        var dir = Path.Combine(DataDir, "execution", DemoDataGenerator.Users[2].FolderName, _odd["leftover-wal"]);
        Assert.That(File.Exists(Path.Combine(dir, "sqlite3.db-shm")), "the reader left -shm behind");
        async Task<string> LastScan() => (await Client.GetJson("/health/ready"))
            .GetProperty("checks").GetProperty("index").GetProperty("data").GetProperty("last_scan_at").ToString();
        for (var i = 0; i < 2; i++)
        {
            var before = await LastScan();
            await Wait.Until(async () => await LastScan() != before, TimeSpan.FromSeconds(5), "the periodic rescan keeps running");
        }
        var row = await Row("leftover-wal");
        Assert.That(row.Str("status"), Is.EqualTo("finished"));
        Assert.That(row.GetProperty("event_count").GetInt32(), Is.EqualTo(1));
    }

    [Test]
    public async Task Multi_megabyte_messages_are_indexed()
    {
        var row = await Row("huge-messages");
        Assert.That(row.Str("status"), Is.EqualTo("finished"));
        Assert.That(row.Str("agent_name"), Is.EqualTo("Huge"));
        Assert.That(row.GetProperty("event_count").GetInt32(), Is.EqualTo(4));
        Assert.That(row.Str("error"), Does.StartWith("Traceback:"));
    }

    [Test]
    public async Task A_repaired_database_is_picked_up_by_the_next_rescan()
    {
        var fid = _odd["to-repair"];
        var path = Path.Combine(DataDir, "execution", DemoDataGenerator.Users[2].FolderName, fid, "sqlite3.db");
        File.Delete(path);
        using (var db = Create(path, withMonitor: true))
        {
            Insert(db, 1, "status", "running");
            Insert(db, 2, "status", "finished");
        }
        SqliteConnection.ClearAllPools();
        // The service may read the file between its creation and the last insert; wait for the final state.
        await Wait.Until(async () => (await Row("to-repair")).Str("status") == "finished",
            TimeSpan.FromSeconds(10), "the repaired database is read to its end");
        Assert.That((await Row("to-repair")).GetProperty("problem").ValueKind, Is.EqualTo(JsonValueKind.Null));
    }

    static SqliteConnection Create(string path, bool withMonitor)
    {
        var db = new SqliteConnection($"Data Source={path};Pooling=False");
        db.Open();
        Exec(db, "PRAGMA journal_mode=wal");
        if (withMonitor)
            Exec(db, "CREATE TABLE monitor (id INTEGER PRIMARY KEY AUTOINCREMENT, timestamp REAL NOT NULL, kind TEXT NOT NULL, message TEXT NOT NULL)");
        return db;
    }

    static void Insert(SqliteConnection db, double t, string kind, string message)
    {
        using var cmd = db.CreateCommand();
        cmd.CommandText = "INSERT INTO monitor (timestamp, kind, message) VALUES ($t, $k, $m)";
        cmd.Parameters.AddWithValue("$t", t);
        cmd.Parameters.AddWithValue("$k", kind);
        cmd.Parameters.AddWithValue("$m", message);
        cmd.ExecuteNonQuery();
    }

    static void Exec(SqliteConnection db, string sql)
    {
        using var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }
}
