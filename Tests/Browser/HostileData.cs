using System.Text.Json;
using Kodosumi.Shared;
using Microsoft.Data.Sqlite;

namespace Kodosumi.Tests.Browser;

/// <summary>
/// Executions whose names and messages are HTML, added to the browser tests' data set: the page must show
/// them as text and run none of them.
/// </summary>
public sealed record HostileData(string AgentFid, string UserFid, string UserId)
{
    public const string AgentName = "<img src=x onerror=alert(1)>";
    public const string ErrorLine = "ValueError: <script>alert(2)</script>";
    public const string UserName = "<b onmouseover=alert(3)>mallory</b>";
    public const string UploadName = "<img src=x onerror=alert(4)> notes.txt";
    const string AdminFolder = "6b0d549b-6f03-475a-9600-a35a099950d8";
    static readonly Guid MalloryId = Guid.Parse("4c915d6e-7f80-4192-bdce-3f4a5b6c7d8e");

    public static HostileData Write(string dataDir, DateTimeOffset now)
    {
        var random = new Random(99);
        var execution = Path.Combine(dataDir, "execution");

        var agentFid = Fids.New(now - TimeSpan.FromMinutes(20), random);
        var agentDir = Path.Combine(execution, AdminFolder, agentFid);
        var start = (now - TimeSpan.FromMinutes(20)).ToUnixTimeSeconds();
        WriteDatabase(agentDir, start,
            ("status", "starting"),
            ("meta", JsonSerializer.Serialize(new { dict = new { fid = agentFid, username = "admin", summary = AgentName, entry_point = "evil.app:app" } })),
            ("status", "running"),
            ("error", $"Traceback (most recent call last):\n  File \"/app/evil.py\", line 1, in run\n{ErrorLine}"),
            ("status", "error"));
        Directory.CreateDirectory(Path.Combine(agentDir, "in"));
        File.WriteAllText(Path.Combine(agentDir, "in", UploadName), "hostile upload\n");

        using (var admin = new SqliteConnection($"Data Source={Path.Combine(dataDir, "admin.db")};Pooling=False"))
        {
            admin.Open();
            using var cmd = admin.CreateCommand();
            cmd.CommandText = "INSERT INTO roles VALUES ($id, $name, 'mallory@example.com', 1, $password, 0)";
            cmd.Parameters.AddWithValue("$id", MalloryId.ToString("N"));
            cmd.Parameters.AddWithValue("$name", UserName);
            cmd.Parameters.AddWithValue("$password", BCrypt.Net.BCrypt.HashPassword("mallory", 4));
            cmd.ExecuteNonQuery();
        }
        var userFid = Fids.New(now - TimeSpan.FromMinutes(25), random);
        WriteDatabase(Path.Combine(execution, MalloryId.ToString("D"), userFid), (now - TimeSpan.FromMinutes(25)).ToUnixTimeSeconds(),
            ("status", "starting"),
            ("meta", JsonSerializer.Serialize(new { dict = new { fid = userFid, username = UserName, summary = "Hymn Creator" } })),
            ("status", "finished"));

        return new HostileData(agentFid, userFid, MalloryId.ToString("D"));
    }

    static void WriteDatabase(string dir, long start, params (string Kind, string Message)[] events)
    {
        Directory.CreateDirectory(dir);
        using var db = new SqliteConnection($"Data Source={Path.Combine(dir, "sqlite3.db")};Pooling=False");
        db.Open();
        using (var create = db.CreateCommand())
        {
            create.CommandText = "CREATE TABLE monitor (id INTEGER PRIMARY KEY AUTOINCREMENT, timestamp REAL NOT NULL, kind TEXT NOT NULL, message TEXT NOT NULL)";
            create.ExecuteNonQuery();
        }
        for (var i = 0; i < events.Length; i++)
        {
            using var insert = db.CreateCommand();
            insert.CommandText = "INSERT INTO monitor (timestamp, kind, message) VALUES ($t, $k, $m)";
            insert.Parameters.AddWithValue("$t", start + i * 5.0);
            insert.Parameters.AddWithValue("$k", events[i].Kind);
            insert.Parameters.AddWithValue("$m", events[i].Message);
            insert.ExecuteNonQuery();
        }
    }
}
