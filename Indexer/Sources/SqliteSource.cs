using Microsoft.Data.Sqlite;

namespace Kodosumi.Indexer.Sources;

/// <summary>
/// Opens Kodosumi's SQLite files without ever writing next to them. While the writer has a database
/// open its <c>-wal</c> and <c>-shm</c> exist and a plain read-only open shares them; once it closed,
/// they are gone and a read-only open would have to create them (impossible on a read-only mount, and
/// a change to the data directory anywhere else), so the file is opened as immutable instead.
/// </summary>
/// <remarks>
/// The file is attached to a read-only in-memory connection rather than named in the connection string:
/// Microsoft.Data.Sqlite keeps one pool group per distinct connection string for at least four minutes
/// (about a kilobyte each, pooling off or not), which at 100,000 executions was a hundred megabytes after
/// a full scan. Unqualified table names find the attached file's tables (the in-memory main has none).
/// </remarks>
public static class SqliteSource
{
    // A locked database (SQLITE_BUSY) is waited for one second per statement, then the caller's retry
    // back-off takes over: a long wait here would stall a whole batch behind one locked file.
    static readonly string Host = new SqliteConnectionStringBuilder
    {
        DataSource = "file::memory:", Mode = SqliteOpenMode.ReadOnly, Pooling = false, DefaultTimeout = 1,
    }.ToString();

    public static SqliteConnection OpenReadOnly(string path)
    {
        var live = File.Exists(path + "-wal");
        var connection = new SqliteConnection(Host);
        try
        {
            connection.Open();
            try
            {
                Attach(connection, path, immutable: !live);
            }
            catch (SqliteException e) when (live && e.SqliteErrorCode is 14 /* CANTOPEN */ or 8 /* READONLY */ && !File.Exists(path + "-wal"))
            {
                // The writer closed between the check and the open: the file is finished now.
                Attach(connection, path, immutable: true);
            }
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    static void Attach(SqliteConnection connection, string path, bool immutable)
    {
        using var attach = connection.CreateCommand();
        attach.CommandText = "ATTACH DATABASE $file AS source";
        attach.Parameters.AddWithValue("$file", new Uri(Path.GetFullPath(path)).AbsoluteUri + (immutable ? "?immutable=1" : "?mode=ro"));
        attach.ExecuteNonQuery();
    }
}
