using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Kodosumi.Tests.Support;

/// <summary>What one execution database says, computed with plain SQL, independently of the indexer's code.</summary>
public sealed record Expected(
    string Fid, string UserId, string AgentName, string Status, double? First, double? Last,
    long Events, int Errors, string? LatestError, double? LatestErrorTime, int Uploads, int Downloads,
    List<(long Id, double Timestamp, string Message)> ErrorEvents)
{
    public double StartTime => First ?? Convert.ToUInt32(Fid[..8], 16);
    public double? Runtime => Last - First;
    public bool HasError => Errors > 0 || Status == "error";
    /// <summary>What Kodosumi's error rate counts: the latest error event has text.</summary>
    public bool HasErrorText => !string.IsNullOrEmpty(LatestError);
    /// <summary>The runtimes Kodosumi averages: known and not 0.</summary>
    public bool HasMeasuredRuntime => Runtime is { } r && r != 0;
}

/// <summary>Recounts a data directory straight from its files, the way a person checking the index would.</summary>
public static class Recount
{
    public static List<Expected> All(string executionRoot) =>
        Directory.GetDirectories(executionRoot)
            .Where(u => !Path.GetFileName(u).StartsWith('.'))
            .SelectMany(u => Directory.GetDirectories(u).Where(f => !Path.GetFileName(f).StartsWith('.')))
            .Select(One)
            .ToList();

    public static Expected One(string executionDir)
    {
        var fid = Path.GetFileName(executionDir);
        var user = Path.GetFileName(Path.GetDirectoryName(executionDir)!);
        using var db = new SqliteConnection($"Data Source={Path.Combine(executionDir, "sqlite3.db")};Mode=ReadOnly;Pooling=False");
        db.Open();
        // A writer stopped between creating the file and its table leaves a database with no events yet.
        if (Scalar<long>(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'monitor'") == 0)
            return new Expected(fid, user, "Unknown", "unknown", null, null, 0, 0, null, null,
                CountFiles(Path.Combine(executionDir, "in")), CountFiles(Path.Combine(executionDir, "out")), []);
        var status = Scalar<string>(db, "SELECT message FROM monitor WHERE kind = 'status' ORDER BY timestamp DESC, id DESC LIMIT 1") ?? "unknown";
        var meta = Scalar<string>(db, "SELECT message FROM monitor WHERE kind = 'meta' ORDER BY id LIMIT 1");
        var first = Scalar<double?>(db, "SELECT min(timestamp) FROM monitor");
        var last = Scalar<double?>(db, "SELECT max(timestamp) FROM monitor");
        var events = Scalar<long>(db, "SELECT count(*) FROM monitor");
        var errors = new List<(long, double, string)>();
        using (var cmd = db.CreateCommand())
        {
            cmd.CommandText = "SELECT id, timestamp, message FROM monitor WHERE kind = 'error' ORDER BY timestamp DESC, id DESC";
            using var r = cmd.ExecuteReader();
            while (r.Read()) errors.Add((r.GetInt64(0), r.GetDouble(1), r.GetString(2)));
        }
        return new Expected(fid, user, AgentName(meta), status, first, last, events, errors.Count,
            errors.Count > 0 ? errors[0].Item3 : null, errors.Count > 0 ? errors[0].Item2 : null,
            CountFiles(Path.Combine(executionDir, "in")), CountFiles(Path.Combine(executionDir, "out")), errors);
    }

    static string AgentName(string? meta)
    {
        if (meta is null) return "Unknown";
        var root = JsonDocument.Parse(meta).RootElement;
        if (root.TryGetProperty("dict", out var inner)) root = inner;
        foreach (var key in new[] { "summary", "entry_point" })
            if (root.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String && v.GetString() is { Length: > 0 } name) return name;
        return "Unknown";
    }

    static int CountFiles(string dir) => Directory.Exists(dir) ? Directory.GetFiles(dir, "*", SearchOption.AllDirectories).Length : 0;

    static T? Scalar<T>(SqliteConnection db, string sql)
    {
        using var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        var value = cmd.ExecuteScalar();
        return value is null or DBNull ? default : (T)Convert.ChangeType(value, Nullable.GetUnderlyingType(typeof(T)) ?? typeof(T));
    }
}
