using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Kodosumi.Tests.Support;

/// <summary>An execution's <c>meta.tags</c> read with plain SQL from its database, independently of the fold.</summary>
public static class RecountTags
{
    public static List<string> Of(string executionRoot, Expected e)
    {
        var path = Path.Combine(executionRoot, e.UserId, e.Fid, "sqlite3.db");
        using var db = new SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
        db.Open();
        using var cmd = db.CreateCommand();
        cmd.CommandText = "SELECT message FROM monitor WHERE kind = 'meta' ORDER BY id LIMIT 1";
        if (cmd.ExecuteScalar() is not string meta) return [];
        var root = JsonDocument.Parse(meta).RootElement;
        if (root.TryGetProperty("dict", out var inner)) root = inner;
        return root.TryGetProperty("tags", out var tags) && tags.ValueKind == JsonValueKind.Array
            ? tags.EnumerateArray().Where(t => t.ValueKind == JsonValueKind.String).Select(t => t.GetString()!).Distinct().ToList()
            : [];
    }
}
