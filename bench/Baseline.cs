using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Kodosumi.Bench;

/// <summary>
/// The approach of Kodosumi's own dashboard, for comparison: every request walks every execution folder,
/// opens each database once and asks it for the latest status, the latest error, the first meta and the
/// first and last timestamps, and lists <c>in/</c> and <c>out/</c>.
/// </summary>
public static class Baseline
{
    public sealed record Row(string Fid, string UserId, string AgentName, string Status, string? Error, double Start, double End, int Uploads, int Downloads);

    public static List<Row> ScanAll(string executionRoot)
    {
        var rows = new List<Row>();
        foreach (var userDir in Directory.EnumerateDirectories(executionRoot))
        foreach (var dir in Directory.EnumerateDirectories(userDir))
        {
            var db = Path.Combine(dir, "sqlite3.db");
            if (!File.Exists(db)) continue;
            // Opened as Kodosumi opens it (read-write): closing the last connection removes -wal/-shm again.
            using var c = new SqliteConnection($"Data Source={db};Pooling=False");
            c.Open();
            var status = Scalar(c, "SELECT message FROM monitor WHERE kind='status' ORDER BY timestamp DESC, id DESC LIMIT 1") ?? "unknown";
            var error = Scalar(c, "SELECT message FROM monitor WHERE kind='error' ORDER BY timestamp DESC, id DESC LIMIT 1");
            var meta = Scalar(c, "SELECT message FROM monitor WHERE kind='meta' ORDER BY id LIMIT 1");
            var first = double.Parse(Scalar(c, "SELECT min(timestamp) FROM monitor") ?? "0", System.Globalization.CultureInfo.InvariantCulture);
            var last = double.Parse(Scalar(c, "SELECT max(timestamp) FROM monitor") ?? "0", System.Globalization.CultureInfo.InvariantCulture);
            rows.Add(new Row(Path.GetFileName(dir), Path.GetFileName(userDir), AgentName(meta), status, error, first, last,
                Count(Path.Combine(dir, "in")), Count(Path.Combine(dir, "out"))));
        }
        return rows;
    }

    /// <summary>running-agents for the last 24 hours, first page of 500, newest first.</summary>
    public static int RunningAgents(string root, double now)
    {
        var rows = ScanAll(root).Where(r => r.Start >= now - 24 * 3600).OrderByDescending(r => r.Start).ToList();
        return JsonSerializer.Serialize(new { total = rows.Count, agents = rows.Take(500) }).Length;
    }

    public static int AgentStats(string root)
    {
        var rows = ScanAll(root);
        var stats = new
        {
            total_executions = rows.Count,
            by_status = rows.CountBy(r => r.Status).ToDictionary(),
            by_user = rows.CountBy(r => r.UserId).ToDictionary(),
            avg_runtime = rows.Count == 0 ? 0 : rows.Average(r => r.End - r.Start),
            error_rate = rows.Count == 0 ? 0 : (double)rows.Count(r => r.Error is not null || r.Status == "error") / rows.Count,
        };
        return JsonSerializer.Serialize(stats).Length;
    }

    static string? Scalar(SqliteConnection c, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        return cmd.ExecuteScalar() switch { null or DBNull => null, var v => Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture) };
    }

    static string AgentName(string? meta)
    {
        if (meta is null) return "Unknown";
        try
        {
            var root = JsonDocument.Parse(meta).RootElement;
            if (root.TryGetProperty("dict", out var d)) root = d;
            foreach (var key in new[] { "summary", "entry_point" })
                if (root.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String) return v.GetString()!;
        }
        catch (JsonException) { }
        return "Unknown";
    }

    static int Count(string dir) => Directory.Exists(dir) ? Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).Count() : 0;
}
