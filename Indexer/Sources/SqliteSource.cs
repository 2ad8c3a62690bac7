using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Kodosumi.Indexer.Sources;

/// <summary>
/// Opens Kodosumi's SQLite files without ever writing next to them. While the writer has a database
/// open its <c>-wal</c> and <c>-shm</c> exist and a plain read-only open shares them; once it closed,
/// they are gone and a read-only open would have to create them (impossible on a read-only mount, and
/// a change to the data directory anywhere else), so the file is opened as immutable instead.
/// </summary>
internal static class SqliteSource
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
    public static RawDatabase OpenRaw(string path)
    {
        var live = File.Exists(path + "-wal");
        if (!live && OpenCopy(path) is { } copy) return copy;
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
        return new RawDatabase(db, ImageBytes: -1);
    }

    /// <summary>Closes a database <see cref="OpenRaw(string)"/> opened; a small image's connection is kept for the next one.</summary>
    public static void Close(RawDatabase database)
    {
        if (database.ImageBytes is >= 0 and <= MaxKeptImageBytes && IdleImageConnections.Count < MaxIdleImageConnections)
            IdleImageConnections.Add(database.Handle);
        else
            database.Handle.Dispose();
    }

    /// <summary>
    /// Connections for images, kept between reads: opening one (SQLite registers its functions and extensions for each
    /// connection) cost as much as reading a small database. A kept connection holds its last image until the next
    /// read replaces it, so only small ones are kept, and no more than readers run at once.
    /// </summary>
    static readonly ConcurrentBag<sqlite3> IdleImageConnections = [];
    const int MaxIdleImageConnections = 8;
    const long MaxKeptImageBytes = 256 * 1024;

    /// <summary>
    /// A finished database up to this size is read whole and queried from memory. An open of the file costs some twenty
    /// system calls (SQLite resolves every part of the path, checks the file again and again, reads the header twice);
    /// the copy costs five, and a database of a few pages is read with one of them.
    /// </summary>
    const long MaxCopyBytes = 4 * 1048576;

    /// <summary>
    /// The finished database at <paramref name="path"/>, copied into memory SQLite owns; null when it is larger than
    /// <see cref="MaxCopyBytes"/> or cannot be read (the open of the file then reports why, as it always did).
    /// </summary>
    static unsafe RawDatabase? OpenCopy(string path)
    {
        byte* data = null;
        try
        {
            using var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var length = RandomAccess.GetLength(file);
            if (length > MaxCopyBytes) return null;
            data = (byte*)sqlite3_malloc64((ulong)Math.Max(length, 1));
            if (data is null) return null;
            var buffer = new Span<byte>(data, (int)length);
            for (int read, at = 0; at < buffer.Length; at += read)
            {
                read = RandomAccess.Read(file, buffer[at..], at);
                // Shorter than it was a moment ago: it is being replaced; the open of the file decides.
                if (read == 0) return null;
            }
            // A database in WAL mode says so in its header (bytes 18 and 19 are 2), and SQLite would look for its WAL,
            // which memory has none of. Finished, it holds every row itself: read it as a database in the older mode.
            if (length >= 20 && buffer[18] == 2 && buffer[19] == 2) buffer[18] = buffer[19] = 1;
            if (!IdleImageConnections.TryTake(out var db) && raw.sqlite3_open_v2(":memory:", out db, raw.SQLITE_OPEN_READWRITE, null) != raw.SQLITE_OK)
            {
                db.Dispose();
                return null;
            }
            var owned = data;
            data = null; // SQLite frees it from here on (with the image it replaces), even when the call fails
            int rc;
            fixed (byte* main = "main\0"u8) rc = sqlite3_deserialize(db.DangerousGetHandle(), main, owned, length, length, DeserializeFreeOnClose | DeserializeReadOnly);
            if (rc != raw.SQLITE_OK)
            {
                db.Dispose();
                return null;
            }
            return new RawDatabase(db, length);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        finally
        {
            if (data is not null) sqlite3_free(data);
        }
    }

    const uint DeserializeFreeOnClose = 1, DeserializeReadOnly = 4;

    // The library Microsoft.Data.Sqlite loads; SQLitePCLRaw has no binding for sqlite3_deserialize.
    [DllImport("e_sqlite3")]
    static extern unsafe int sqlite3_deserialize(IntPtr db, byte* schema, byte* data, long size, long bufferSize, uint flags);

    [DllImport("e_sqlite3")]
    static extern unsafe void* sqlite3_malloc64(ulong size);

    [DllImport("e_sqlite3")]
    static extern unsafe void sqlite3_free(void* data);

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

/// <summary>An execution database open for reading: the file itself (<see cref="ImageBytes"/> -1), or an image of it in memory.</summary>
internal readonly record struct RawDatabase(sqlite3 Handle, long ImageBytes);
