using Microsoft.Data.Sqlite;

namespace Kodosumi.Indexer.Sources;

/// <summary>
/// Opens Kodosumi's SQLite files without ever writing next to them. While the writer has a database
/// open its <c>-wal</c> and <c>-shm</c> exist and a plain read-only open shares them; once it closed,
/// they are gone and a read-only open would have to create them (impossible on a read-only mount, and
/// a change to the data directory anywhere else), so the file is opened as immutable instead.
/// </summary>
public static class SqliteSource
{
    public static SqliteConnection OpenReadOnly(string path)
    {
        var live = File.Exists(path + "-wal");
        var connection = new SqliteConnection(ConnectionString(path, immutable: !live));
        try
        {
            connection.Open();
            return connection;
        }
        catch (SqliteException e) when (live && e.SqliteErrorCode is 14 /* CANTOPEN */ or 8 /* READONLY */ && !File.Exists(path + "-wal"))
        {
            // The writer closed between the check and the open: the file is finished now.
            connection.Dispose();
            var finished = new SqliteConnection(ConnectionString(path, immutable: true));
            finished.Open();
            return finished;
        }
    }

    static string ConnectionString(string path, bool immutable)
    {
        // A locked database (SQLITE_BUSY) is waited for one second per statement, then the caller's retry
        // back-off takes over: a long wait here would stall a whole batch behind one locked file.
        var builder = new SqliteConnectionStringBuilder { Mode = SqliteOpenMode.ReadOnly, Pooling = false, DefaultTimeout = 1 };
        builder.DataSource = immutable ? new Uri(Path.GetFullPath(path)).AbsoluteUri + "?immutable=1" : path;
        return builder.ToString();
    }
}
