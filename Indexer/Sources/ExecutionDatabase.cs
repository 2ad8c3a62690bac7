using System.Globalization;
using System.Text;
using Kodosumi.Shared;
using Kodosumi.Shared.Model;
using Microsoft.Data.Sqlite;

namespace Kodosumi.Indexer.Sources;

/// <summary>An execution database that cannot be folded right now; the message says why.</summary>
internal sealed class SourceProblemException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>One event as the details endpoint shows it.</summary>
public sealed record MonitorEvent(long Id, double Timestamp, string Kind, string Message);

/// <summary>Reads the <c>monitor</c> table of one execution database.</summary>
internal static class ExecutionDatabase
{
    static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// Events ordered by timestamp, then id (Kodosumi's order), with full messages, from <paramref name="offset"/> on
    /// (at most <paramref name="limit"/> of them, all when null), and the number of events in all.
    /// </summary>
    public static (long Total, List<MonitorEvent> Events) ReadEvents(string path, int offset, int? limit)
    {
        using var db = SqliteSource.OpenReadOnly(path);
        using var count = db.CreateCommand();
        count.CommandText = "SELECT count(*) FROM monitor";
        long total;
        try
        {
            total = (long)count.ExecuteScalar()!;
        }
        catch (SqliteException e) when (IsMissingMonitorTable(e))
        {
            throw NoMonitorTable();
        }
        using var cmd = db.CreateCommand();
        // Ordered by the value shown (text read as a number, as TimestampOf reads it), so pages follow what a client sees.
        cmd.CommandText = "SELECT id, timestamp, kind, CAST(message AS BLOB) FROM monitor " +
                          "ORDER BY coalesce(CAST(timestamp AS REAL), 0), id LIMIT $limit OFFSET $offset";
        // SQLite reads a negative limit as none.
        cmd.Parameters.AddWithValue("$limit", limit ?? -1);
        cmd.Parameters.AddWithValue("$offset", offset);
        var events = new List<MonitorEvent>();
        using var reader = cmd.ExecuteReader();
        while (reader.Read())
        {
            var message = reader.IsDBNull(3) ? "" : Decode(reader.GetFieldValue<byte[]>(3)).Text;
            events.Add(new MonitorEvent(reader.GetInt64(0), TimestampOf(reader, 1), reader.IsDBNull(2) ? "" : reader.GetString(2), message));
        }
        return (total, events);
    }

    /// <summary>Kodosumi creates the database before its table: a normal, passing state.</summary>
    internal static bool IsMissingMonitorTable(SqliteException e) =>
        e.SqliteErrorCode == 1 && e.Message.Contains("no such table: monitor", StringComparison.Ordinal);

    internal static SourceProblemException NoMonitorTable() => new("the database has no monitor table yet");

    /// <summary>Timestamps are REAL, but a writer may have stored text or NULL; those read as 0.</summary>
    static double TimestampOf(SqliteDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? 0
        : reader.GetFieldType(ordinal) == typeof(string)
            ? double.TryParse(reader.GetString(ordinal), NumberStyles.Float, CultureInfo.InvariantCulture, out var t) ? t : 0
            : reader.GetDouble(ordinal);

    /// <summary>Messages are not always valid UTF-8: decode strictly, and lossily when that fails.</summary>
    internal static (string Text, bool Invalid) Decode(ReadOnlySpan<byte> bytes)
    {
        try { return (StrictUtf8.GetString(bytes), false); }
        catch (DecoderFallbackException) { return (Encoding.UTF8.GetString(bytes), true); }
    }
}
