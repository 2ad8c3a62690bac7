using System.Diagnostics;
using System.Globalization;
using System.Text;
using Kodosumi.Shared;
using Kodosumi.Shared.Model;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Kodosumi.Indexer.Sources;

/// <summary>
/// Reads an execution database's <c>monitor</c> rows for the fold, through SQLite's own API: one open and a
/// prepared statement or two per database, each page of rows a single step through one. Opened through a
/// <see cref="SqliteConnection"/>, each database cost a connection string built and parsed (and a pool group kept
/// per path) and a command per query, a large part of the readers' time.
/// </summary>
internal sealed class MonitorReader : IDisposable
{
    /// <summary>
    /// A row as the fold reads it. Only the messages the fold uses are fetched (a result can be megabytes), each cut
    /// at ?3 characters.
    /// </summary>
    static readonly string RowColumns = $"""
        id, timestamp, kind,
        CASE WHEN kind IN ({string.Join(", ", SummaryFold.KindsWithUsedMessage.Select(k => $"'{k}'"))}) THEN CAST(substr(message, 1, ?3) AS BLOB) END
        """;

    /// <summary>
    /// From the first row: the page, each row with its fingerprint, of which the first row's is the database's.
    /// Nothing is below a cursor of 0, so the highest id is not asked for. Most reads are of this kind (a cold index,
    /// a new execution), and SQLite parses a statement for each database: this one is half the other's size.
    /// </summary>
    static readonly byte[] FirstPageSql = Encoding.UTF8.GetBytes(
        $"SELECT {RowColumns}, id || ':' || timestamp FROM monitor WHERE id > ?1 ORDER BY id LIMIT ?2");

    /// <summary>
    /// Past a cursor: the database's fingerprint (first row and highest id: a recreated database shows a different
    /// first row, or a highest id below the cursor) in a row of its own marked 0, then the page of rows past the
    /// cursor marked 1, all from one read transaction.
    /// </summary>
    static readonly byte[] PageSql = Encoding.UTF8.GetBytes($"""
        SELECT 0, NULL, (SELECT id || ':' || timestamp FROM monitor ORDER BY id LIMIT 1), (SELECT max(id) FROM monitor), NULL
        UNION ALL
        SELECT * FROM (SELECT 1, {RowColumns} FROM monitor WHERE id > ?1 ORDER BY id LIMIT ?2)
        """);

    /// <summary>Kinds Kodosumi writes, so a row's kind costs no new string.</summary>
    static readonly string[] KnownKinds =
        ["status", "meta", "error", "inputs", "agent", "action", "result", "final", "upload", "stdout", "stderr", "debug", "lock", "lease"];

    readonly RawDatabase _database;
    readonly sqlite3 _db;
    readonly sqlite3_stmt _firstPage;
    sqlite3_stmt? _page;

    MonitorReader(RawDatabase database, sqlite3_stmt firstPage)
    {
        _database = database;
        _db = database.Handle;
        _firstPage = firstPage;
    }

    /// <summary>Opens the database read-only as <see cref="SqliteSource"/> does; throws <see cref="SourceProblemException"/> while it has no monitor table.</summary>
    public static MonitorReader Open(string path)
    {
        var database = SqliteSource.OpenRaw(path);
        try
        {
            return new MonitorReader(database, Prepare(database.Handle, FirstPageSql));
        }
        catch
        {
            SqliteSource.Close(database);
            throw;
        }
    }

    static sqlite3_stmt Prepare(sqlite3 db, byte[] sql)
    {
        var rc = raw.sqlite3_prepare_v2(db, sql, out var statement);
        if (rc == raw.SQLITE_OK) return statement;
        statement.Dispose();
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

    /// <summary>
    /// Adds up to <paramref name="limit"/> rows with id above <paramref name="afterId"/> to <paramref name="rows"/>, in
    /// id order, and returns the database's fingerprint as of the same read: its first row, and past a cursor its
    /// highest id (null from the start, where nothing can be missing).
    /// </summary>
    public (string? Identity, long? MaxId) ReadPage(long afterId, int limit, int maxChars, List<MonitorRow> rows)
    {
        var fromStart = afterId == 0;
        var page = fromStart ? _firstPage : _page ??= Prepare(_db, PageSql);
        // The row's columns start after the page query's mark.
        var at = fromStart ? 0 : 1;
        Check(raw.sqlite3_bind_int64(page, 1, afterId));
        Check(raw.sqlite3_bind_int64(page, 2, limit));
        Check(raw.sqlite3_bind_int64(page, 3, maxChars));
        string? identity = null;
        long? maxId = null;
        var first = true;
        try
        {
            int rc;
            while ((rc = raw.sqlite3_step(page)) == raw.SQLITE_ROW)
            {
                if (!fromStart && raw.sqlite3_column_int64(page, 0) == 0)
                {
                    identity = IsNull(page, 2) ? null : raw.sqlite3_column_text(page, 2).utf8_to_string();
                    maxId = raw.sqlite3_column_int64(page, 3);
                    continue;
                }
                if (fromStart && first && !IsNull(page, 4)) identity = raw.sqlite3_column_text(page, 4).utf8_to_string();
                first = false;
                var (message, invalid) = IsNull(page, at + 3) ? (null, false) : ExecutionDatabase.Decode(raw.sqlite3_column_blob(page, at + 3));
                rows.Add(new MonitorRow(raw.sqlite3_column_int64(page, at), Timestamp(page, at + 1), Kind(page, at + 2), message, invalid));
            }
            if (rc != raw.SQLITE_DONE) SqliteException.ThrowExceptionForRC(rc, _db);
        }
        finally
        {
            // Ends the read transaction, so the writer's checkpoint is not held up between pages.
            raw.sqlite3_reset(page);
        }
        return (identity, maxId);
    }

    static bool IsNull(sqlite3_stmt page, int column) => raw.sqlite3_column_type(page, column) == raw.SQLITE_NULL;

    /// <summary>Timestamps are REAL, but a writer may have stored text or NULL; those read as 0.</summary>
    static double Timestamp(sqlite3_stmt page, int column) => raw.sqlite3_column_type(page, column) switch
    {
        raw.SQLITE_NULL => 0,
        raw.SQLITE_TEXT => double.TryParse(raw.sqlite3_column_text(page, column).utf8_to_string(), NumberStyles.Float, CultureInfo.InvariantCulture, out var t) ? t : 0,
        _ => raw.sqlite3_column_double(page, column),
    };

    static string Kind(sqlite3_stmt page, int column)
    {
        if (IsNull(page, column)) return "";
        var text = raw.sqlite3_column_blob(page, column);
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
        _firstPage.Dispose();
        _page?.Dispose();
        SqliteSource.Close(_database);
    }
}
