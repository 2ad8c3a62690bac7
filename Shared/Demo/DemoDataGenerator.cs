using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Kodosumi.Shared.Demo;

public sealed record DemoOptions
{
    public int Executions { get; init; } = 400;
    public int Seed { get; init; } = 42;
    /// <summary>How far back executions reach.</summary>
    public TimeSpan Span { get; init; } = TimeSpan.FromDays(30);
    public DateTimeOffset Now { get; init; } = DateTimeOffset.UtcNow;
    /// <summary>One in this many finished executions carries a result of about a megabyte.</summary>
    public int LargeResultEvery { get; init; } = 150;
}

public sealed record DemoUser(Guid Id, string Name, string Password, bool Operator)
{
    public string FolderName => Id.ToString("D");
}

/// <summary>
/// Writes a realistic Kodosumi data directory: users in <c>admin.db</c>, one WAL-mode SQLite database per
/// execution with Kodosumi's event kinds, and uploaded/produced files. Used by <c>--demo</c>, the
/// tests and the benchmark; deterministic for a given seed and clock.
/// </summary>
public sealed class DemoDataGenerator(DemoOptions options)
{
    public static readonly IReadOnlyList<DemoUser> Users =
    [
        new(Guid.Parse("6b0d549b-6f03-475a-9600-a35a099950d8"), "admin", "admin", true),
        new(Guid.Parse("1f6e2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b"), "alice", "alice", false),
        new(Guid.Parse("2a7f3b4c-5d6e-4f70-9bac-1d2e3f4a5b6c"), "bob", "bob", false),
        new(Guid.Parse("3b804c5d-6e7f-4081-acbd-2e3f4a5b6c7d"), "carol", "carol", true),
    ];

    static readonly (string? Summary, string EntryPoint, string[] Tags)[] Agents =
    [
        ("Hymn Creator", "kodosumi_examples.hymn.app:fast_app", ["Creative", "Music"]),
        ("Market Researcher", "research.market:app", ["Research"]),
        ("SEO Analyzer", "seo.analyzer:app", ["Marketing", "Research"]),
        ("Throughput Test", "kodosumi_examples.throughput:app", ["Test"]),
        (null, "kodosumi_examples.prime.app:fast_app", ["Math"]),
        ("Pitch Deck Writer", "decks.writer:app", ["Creative"]),
    ];

    readonly Random _random = new(options.Seed);

    public IReadOnlyList<string> Generate(string dataDir)
    {
        Directory.CreateDirectory(dataDir);
        WriteAdminDatabase(Path.Combine(dataDir, "admin.db"));
        var fids = new List<string>(options.Executions);
        var execRoot = Path.Combine(dataDir, "execution");
        for (var i = 0; i < options.Executions; i++)
        {
            var user = Users[_random.Next(Users.Count)];
            // A fifth of the executions fall in the last day, so the default 24 h view is busy.
            var span = _random.Next(5) == 0 ? TimeSpan.FromDays(1) : options.Span;
            var createdAt = options.Now - TimeSpan.FromSeconds(60 + _random.NextDouble() * (span.TotalSeconds - 60));
            var fid = Fids.New(createdAt, _random);
            WriteExecution(Path.Combine(execRoot, user.FolderName, fid), fid, user, createdAt);
            fids.Add(fid);
        }
        return fids;
    }

    static void WriteAdminDatabase(string path) => WriteAdminDatabase(path, Users);

    /// <summary>Kodosumi's admin.db (its <c>roles</c> table) holding <paramref name="users"/>, passwords hashed as Kodosumi hashes them.</summary>
    public static void WriteAdminDatabase(string path, IEnumerable<DemoUser> users)
    {
        if (File.Exists(path)) File.Delete(path);
        using var db = Open(path);
        Execute(db, """
            CREATE TABLE roles (
                id CHAR(32) NOT NULL, name VARCHAR NOT NULL, email VARCHAR NOT NULL,
                active BOOLEAN NOT NULL, password VARCHAR NOT NULL, operator BOOLEAN NOT NULL,
                PRIMARY KEY (id), UNIQUE (name), UNIQUE (email))
            """);
        using var tx = db.BeginTransaction();
        foreach (var u in users)
        {
            using var cmd = db.CreateCommand();
            cmd.CommandText = "INSERT INTO roles VALUES ($id, $name, $email, 1, $password, $operator)";
            cmd.Parameters.AddWithValue("$id", UserIds.ToHex32(u.Id));
            cmd.Parameters.AddWithValue("$name", u.Name);
            cmd.Parameters.AddWithValue("$email", $"{u.Name}@example.com");
            // Work factor 4 keeps generation fast; Kodosumi's default is 12, and verification reads it from the hash.
            cmd.Parameters.AddWithValue("$password", BCrypt.Net.BCrypt.HashPassword(u.Password, 4));
            cmd.Parameters.AddWithValue("$operator", u.Operator ? 1 : 0);
            cmd.ExecuteNonQuery();
        }
        tx.Commit();
    }

    void WriteExecution(string dir, string fid, DemoUser user, DateTimeOffset createdAt)
    {
        Directory.CreateDirectory(dir);
        var (summary, entryPoint, tags) = Agents[_random.Next(Agents.Length)];
        var age = options.Now - createdAt;
        var outcome = PickOutcome(age);
        var uploads = _random.Next(4) == 0 ? _random.Next(1, 4) : 0;
        var downloads = outcome == "finished" ? _random.Next(0, 4) : 0;

        var events = new List<(string Kind, string Message)>
        {
            ("status", "starting"),
            ("meta", MetaJson(fid, user, summary, entryPoint, tags)),
            ("inputs", JsonSerializer.Serialize(new { dict = new { topic = Pick("ai", "music", "markets", "primes"), depth = _random.Next(1, 5) } })),
        };
        if (uploads > 0) events.Add(("upload", JsonSerializer.Serialize(new { files = Enumerable.Range(0, uploads).Select(i => $"input-{i}.txt") })));
        events.Add(("status", "running"));
        var steps = _random.Next(5, 24);
        for (var i = 0; i < steps; i++)
        {
            events.Add(Pick(
                ("agent", JsonSerializer.Serialize(new { dict = new { role = "Researcher", goal = "Find facts", step = i } })),
                ("action", JsonSerializer.Serialize(new { AgentAction = new { tool = "search", tool_input = $"query {i}" } })),
                ("result", JsonSerializer.Serialize(new { TaskOutput = new { raw = $"partial result {i}" } })),
                ("stdout", $"step {i} done"),
                ("debug", $"tokens used: {_random.Next(100, 5000)}")));
        }
        switch (outcome)
        {
            case "finished":
                var big = options.LargeResultEvery > 0 && _random.Next(options.LargeResultEvery) == 0;
                events.Add(("final", JsonSerializer.Serialize(new { dict = new { result = big ? new string('x', 1_100_000) : "All done." } })));
                events.Add(("status", "finished"));
                break;
            case "error":
                events.Add(("error", _random.Next(3) == 0
                    ? JsonSerializer.Serialize(new { error = "RateLimitError", detail = "429 Too Many Requests" })
                    : Traceback(entryPoint)));
                events.Add(("status", "error"));
                break;
            case "awaiting":
                events.Add(("lock", JsonSerializer.Serialize(new { lid = Guid.NewGuid().ToString("N") })));
                events.Add(("status", "awaiting"));
                break;
            case "starting":
                events.RemoveRange(1, events.Count - 1);
                break;
        }

        var start = createdAt.ToUnixTimeMilliseconds() / 1000.0 + _random.NextDouble();
        var duration = outcome is "running" or "awaiting" or "starting"
            ? Math.Min(age.TotalSeconds * 0.9, 600)
            : _random.Next(3, 900) + _random.NextDouble();
        using (var db = Open(Path.Combine(dir, ExecutionLayout.Database)))
        {
            Execute(db, "PRAGMA journal_mode=wal");
            Execute(db, "CREATE TABLE IF NOT EXISTS monitor (id INTEGER PRIMARY KEY AUTOINCREMENT, timestamp REAL NOT NULL, kind TEXT NOT NULL, message TEXT NOT NULL)");
            using var tx = db.BeginTransaction();
            using var cmd = db.CreateCommand();
            cmd.CommandText = "INSERT INTO monitor (timestamp, kind, message) VALUES ($t, $k, $m)";
            var t = cmd.Parameters.Add("$t", SqliteType.Real);
            var k = cmd.Parameters.Add("$k", SqliteType.Text);
            var m = cmd.Parameters.Add("$m", SqliteType.Text);
            for (var i = 0; i < events.Count; i++)
            {
                t.Value = events.Count == 1 ? start : start + duration * i / (events.Count - 1);
                k.Value = events[i].Kind;
                m.Value = events[i].Message;
                cmd.ExecuteNonQuery();
            }
            tx.Commit();
        }
        WriteFiles(Path.Combine(dir, ExecutionLayout.Inputs), uploads, "input");
        WriteFiles(Path.Combine(dir, ExecutionLayout.Outputs), downloads, "report");
    }

    string PickOutcome(TimeSpan age)
    {
        var roll = _random.Next(100);
        if (age < TimeSpan.FromHours(6))
        {
            if (roll < 20) return "running";
            if (roll < 27) return "awaiting";
            if (roll < 30) return "starting";
        }
        return roll % 100 < 82 ? "finished" : "error";
    }

    void WriteFiles(string dir, int count, string stem)
    {
        if (count == 0) return;
        Directory.CreateDirectory(dir);
        for (var i = 0; i < count; i++)
        {
            // Every other execution nests a file in a sub-folder, as Kodosumi allows.
            var target = i == 1 ? Path.Combine(dir, "nested", $"{stem}-{i}.txt") : Path.Combine(dir, $"{stem}-{i}.txt");
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.WriteAllText(target, $"{stem} {i}\n" + new string('.', _random.Next(10, 4000)));
        }
    }

    string MetaJson(string fid, DemoUser user, string? summary, string entryPoint, string[] tags)
    {
        var meta = new Dictionary<string, object?>
        {
            ["fid"] = fid, ["username"] = user.Name, ["app_url"] = "/-/localhost/8001/-/", ["panel_url"] = "/admin/flow",
            ["entry_point"] = entryPoint, ["kodosumi"] = "1.0.0", ["tags"] = tags, ["summary"] = summary,
            ["description"] = "A demo agent", ["deprecated"] = null, ["author"] = "demo@example.com",
            ["organization"] = "Demo", ["version"] = "0.1.0",
        };
        // Kodosumi wraps meta in {"dict": ...}; some versions write the bare object.
        return _random.Next(5) == 0 ? JsonSerializer.Serialize(meta) : JsonSerializer.Serialize(new { dict = meta });
    }

    string Traceback(string entryPoint)
    {
        var sb = new StringBuilder("Traceback (most recent call last):\n");
        sb.Append(CultureInfo.InvariantCulture, $"  File \"/app/{entryPoint.Split(':')[0].Replace('.', '/')}.py\", line {_random.Next(10, 400)}, in run\n");
        sb.Append("    result = await crew.kickoff_async(inputs)\n");
        sb.Append(Pick("ValueError: invalid literal for int() with base 10: 'abc'",
            "TimeoutError: LLM did not answer within 120 s",
            "KeyError: 'topic'"));
        return sb.ToString();
    }

    T Pick<T>(params T[] items) => items[_random.Next(items.Length)];

    static SqliteConnection Open(string path)
    {
        var db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        db.Open();
        return db;
    }

    static void Execute(SqliteConnection db, string sql)
    {
        using var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }
}
