using System.Diagnostics;
using System.Globalization;
using System.Text;
using Kodosumi.Shared;
using Kodosumi.Shared.Model;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Kodosumi.Indexer.Sources;

/// <summary>
/// Reads an execution database's <c>monitor</c> rows for the fold, through SQLite's own API: one open and one
/// prepared statement per database, each page of rows a single step through it. Opened through a
/// <see cref="SqliteConnection"/>, each database cost a connection string built and parsed (and a pool group kept
/// per path) and a command per query: about half of the readers' time at a cold index.
/// </summary>
public sealed class MonitorReader : IDisposable
{
    /// <summary>
    /// The database's fingerprint (first row and highest id: a recreated database shows a different first row,
    /// or a highest id below the cursor) in a row of its own marked 0, then the page of rows past the cursor,
    /// all from one read transaction. Only the messages the fold uses are fetched (a result can be megabytes),
    /// each cut at ?3 characters.
    /// </summary>
    static readonly byte[] PageSql = Encoding.UTF8.GetBytes($"""
        SELECT 0, NULL, (SELECT id || ':' || timestamp FROM monitor ORDER BY id LIMIT 1), (SELECT max(id) FROM monitor), NULL
        UNION ALL
        SELECT * FROM (
            SELECT 1, id, timestamp, kind,
                   CASE WHEN kind IN ({string.Join(", ", SummaryFold.KindsWithUsedMessage.Select(k => $"'{k}'"))})
                        THEN CAST(substr(message, 1, ?3) AS BLOB) END
            FROM monitor WHERE id > ?1 ORDER BY id LIMIT ?2)
        """);

    /// <summary>Kinds Kodosumi writes, so a row's kind costs no new string.</summary>
    static readonly string[] KnownKinds =
        ["status", "meta", "error", "inputs", "agent", "action", "result", "final", "upload", "stdout", "stderr", "debug", "lock", "lease"];

    readonly RawDatabase _database;
    readonly sqlite3 _db;
    readonly sqlite3_stmt _page;

    MonitorReader(RawDatabase database, sqlite3_stmt page)
    {
        _database = database;
        _db = database.Handle;
        _page = page;
    }

    /// <summary>Opens the database read-only as <see cref="SqliteSource"/> does; throws <see cref="SourceProblemException"/> while it has no monitor table.</summary>
    public static MonitorReader Open(string path)
    {
        var database = SqliteSource.OpenRaw(path);
        var db = database.Handle;
        try
        {
            var rc = raw.sqlite3_prepare_v2(db, PageSql, out var page);
            if (rc == raw.SQLITE_OK) return new MonitorReader(database, page);
            page.Dispose();
            try
            {
                SqliteException.ThrowExceptionForRC(rc, db);
            }
            catch (SqliteException e) when (ExecutionDatabase.IsMissingMonitorTable(e))
            {
                throw ExecutionDatabase.NoMonitorTable();
            }
            throw new UnreachableException();
        }
        catch
        {
            SqliteSource.Close(database);
            throw;
        }
    }

    /// <summary>
    /// Adds up to <paramref name="limit"/> rows with id above <paramref name="afterId"/> to <paramref name="rows"/>, in
    /// id order, and returns the database's fingerprint as of the same read.
    /// </summary>
    public (string? Identity, long MaxId) ReadPage(long afterId, int limit, int maxChars, List<MonitorRow> rows)
    {
        Check(raw.sqlite3_bind_int64(_page, 1, afterId));
        Check(raw.sqlite3_bind_int64(_page, 2, limit));
        Check(raw.sqlite3_bind_int64(_page, 3, maxChars));
        string? identity = null;
        long maxId = 0;
        try
        {
            int rc;
            while ((rc = raw.sqlite3_step(_page)) == raw.SQLITE_ROW)
            {
                if (raw.sqlite3_column_int64(_page, 0) == 0)
                {
                    identity = IsNull(2) ? null : raw.sqlite3_column_text(_page, 2).utf8_to_string();
                    maxId = raw.sqlite3_column_int64(_page, 3);
                    continue;
                }
                var (message, invalid) = IsNull(4) ? (null, false) : ExecutionDatabase.Decode(raw.sqlite3_column_blob(_page, 4));
                rows.Add(new MonitorRow(raw.sqlite3_column_int64(_page, 1), Timestamp(2), Kind(3), message, invalid));
            }
            if (rc != raw.SQLITE_DONE) SqliteException.ThrowExceptionForRC(rc, _db);
        }
        finally
        {
            // Ends the read transaction, so the writer's checkpoint is not held up between pages.
            raw.sqlite3_reset(_page);
        }
        return (identity, maxId);
    }

    bool IsNull(int column) => raw.sqlite3_column_type(_page, column) == raw.SQLITE_NULL;

    /// <summary>Timestamps are REAL, but a writer may have stored text or NULL; those read as 0.</summary>
    double Timestamp(int column) => raw.sqlite3_column_type(_page, column) switch
    {
        raw.SQLITE_NULL => 0,
        raw.SQLITE_TEXT => double.TryParse(raw.sqlite3_column_text(_page, column).utf8_to_string(), NumberStyles.Float, CultureInfo.InvariantCulture, out var t) ? t : 0,
        _ => raw.sqlite3_column_double(_page, column),
    };

    string Kind(int column)
    {
        if (IsNull(column)) return "";
        var text = raw.sqlite3_column_blob(_page, column);
        foreach (var known in KnownKinds)
            if (Ascii.Equals(text, known)) return known;
        return Encoding.UTF8.GetString(text);
    }

    void Check(int rc)
    {
        if (rc != raw.SQLITE_OK) SqliteException.ThrowExceptionForRC(rc, _db);
    }

    public void Dispose()
    {
        _page.Dispose();
        SqliteSource.Close(_database);
    }
}
