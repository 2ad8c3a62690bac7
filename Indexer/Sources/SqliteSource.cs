using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Kodosumi.Indexer.Sources;

/// <summary>
/// Opens Kodosumi's SQLite files without ever writing next to them. While the writer has a database
/// open its <c>-wal</c> and <c>-shm</c> exist and a plain read-only open shares them; once it closed,
/// they are gone and a read-only open would have to create them (impossible on a read-only mount, and
/// a change to the data directory anywhere else), so the file is opened as immutable instead.
/// </summary>
public static class SqliteSource
{
    /// <summary>
    /// A locked database (SQLITE_BUSY) is waited for one second per statement, then the caller's retry
    /// back-off takes over: a long wait here would stall a whole batch behind one locked file.
    /// </summary>
    const int BusyTimeoutSeconds = 1;

    // Microsoft.Data.Sqlite picks and initialises the SQLite provider in its static constructor; the raw opens use the same one.
    static SqliteSource() => System.Runtime.CompilerServices.RuntimeHelpers.RunClassConstructor(typeof(SqliteConnection).TypeHandle);

    public static SqliteConnection OpenReadOnly(string path)
    {
        var live = File.Exists(path + "-wal");
        var connection = new SqliteConnection(ConnectionString(path, immutable: !live));
        try
        {
            connection.Open();
            return connection;
        }
        catch (SqliteException e) when (live && WriterClosedMeanwhile(e.SqliteErrorCode, path))
        {
            connection.Dispose();
            var finished = new SqliteConnection(ConnectionString(path, immutable: true));
            finished.Open();
            return finished;
        }
    }

    /// <summary>
    /// The same open through SQLite's own API, for the indexer's hot path: no connection string to build and
    /// parse, no pool group kept per path. Failures throw the <see cref="SqliteException"/> a connection would.
    /// </summary>
    public static sqlite3 OpenRaw(string path)
    {
        var live = File.Exists(path + "-wal");
        var db = OpenRaw(path, immutable: !live, out var rc);
        if (rc != raw.SQLITE_OK && live && WriterClosedMeanwhile(rc, path))
        {
            db.Dispose();
            db = OpenRaw(path, immutable: true, out rc);
        }
        if (rc != raw.SQLITE_OK)
        {
            using (db) SqliteException.ThrowExceptionForRC(rc, db);
        }
        raw.sqlite3_busy_timeout(db, BusyTimeoutSeconds * 1000);
        return db;
    }

    static sqlite3 OpenRaw(string path, bool immutable, out int rc)
    {
        var name = immutable ? ImmutableUri(path) : Path.GetFullPath(path);
        rc = raw.sqlite3_open_v2(name, out var db, raw.SQLITE_OPEN_READONLY | (immutable ? raw.SQLITE_OPEN_URI : 0), null);
        return db;
    }

    /// <summary>The writer closed between the check for its <c>-wal</c> and the open: the file is finished now.</summary>
    static bool WriterClosedMeanwhile(int rc, string path) =>
        rc is 14 /* CANTOPEN */ or 8 /* READONLY */ && !File.Exists(path + "-wal");

    static string ImmutableUri(string path) => new Uri(Path.GetFullPath(path)).AbsoluteUri + "?immutable=1";

    static string ConnectionString(string path, bool immutable)
    {
        var builder = new SqliteConnectionStringBuilder { Mode = SqliteOpenMode.ReadOnly, Pooling = false, DefaultTimeout = BusyTimeoutSeconds };
        builder.DataSource = immutable ? ImmutableUri(path) : path;
        return builder.ToString();
    }
}
