using Kodosumi.Shared;
using Kodosumi.Shared.Demo;
using Microsoft.Data.Sqlite;

namespace Kodosumi.Tests.Container;

/// <summary>
/// A generated Kodosumi data directory in a temp folder, and what the tests know about it without asking
/// the service: they count folders and read the SQLite files themselves.
/// </summary>
public sealed class DataSet : IDisposable
{
    DataSet(string root) => Root = root;

    public string Root { get; }
    public string ExecutionRoot => Path.Combine(Root, "execution");

    public static DataSet Generate(int executions, int seed)
    {
        // Not Directory.CreateTempSubdirectory: that is mode 0700, and the container's user is not the owner.
        var root = Path.Combine(Path.GetTempPath(), "kodosumi-container-" + Guid.NewGuid().ToString("N"));
        new DemoDataGenerator(new DemoOptions { Executions = executions, Seed = seed }).Generate(root);
        var data = new DataSet(root);
        data.SetModes(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        return data;
    }

    /// <summary>
    /// Gives every file <paramref name="fileMode"/>, and folders the same plus execute. The container runs
    /// as another user than the one that generated the files, so this decides what it may do with them.
    /// </summary>
    public void SetModes(UnixFileMode fileMode)
    {
        if (OperatingSystem.IsWindows()) return;
        var dirMode = fileMode | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        File.SetUnixFileMode(Root, dirMode);
        foreach (var dir in Directory.EnumerateDirectories(Root, "*", SearchOption.AllDirectories)) File.SetUnixFileMode(dir, dirMode);
        foreach (var file in Directory.EnumerateFiles(Root, "*", SearchOption.AllDirectories)) File.SetUnixFileMode(file, fileMode);
    }

    /// <summary>Execution folders as Kodosumi lays them out: <c>execution/{user}/{fid}/</c> holding a database.</summary>
    public IReadOnlyList<string> ExecutionDirs() =>
        Directory.EnumerateDirectories(ExecutionRoot)
            .Where(user => !ExecutionLayout.IsHidden(Path.GetFileName(user)))
            .SelectMany(Directory.EnumerateDirectories)
            .Where(dir => Fids.IsValid(Path.GetFileName(dir)) && ExecutionLayout.FindDatabase(dir) is not null)
            .ToList();

    /// <summary>Each execution's latest status, read straight from its database.</summary>
    public Dictionary<string, int> CountByStatus()
    {
        var counts = new Dictionary<string, int>();
        foreach (var dir in ExecutionDirs())
        {
            // Immutable: a plain open would create -wal/-shm next to a finished database.
            var path = ExecutionLayout.FindDatabase(dir)!;
            using var db = new SqliteConnection($"Data Source={new Uri(path).AbsoluteUri}?immutable=1;Mode=ReadOnly;Pooling=False");
            db.Open();
            using var cmd = db.CreateCommand();
            cmd.CommandText = "SELECT message FROM monitor WHERE kind = 'status' ORDER BY timestamp DESC, id DESC LIMIT 1";
            var status = (string)cmd.ExecuteScalar()!;
            counts[status] = counts.GetValueOrDefault(status) + 1;
        }
        return counts;
    }

    /// <summary>Every file and folder below the root with its size and modification time, one line each.</summary>
    public IReadOnlyList<string> Listing() =>
        Directory.EnumerateFileSystemEntries(Root, "*", SearchOption.AllDirectories)
            .Select(path => new FileInfo(path) is { Exists: true } file
                ? $"{Path.GetRelativePath(Root, path)} {file.Length} {file.LastWriteTimeUtc:O}"
                : $"{Path.GetRelativePath(Root, path)}/ {Directory.GetLastWriteTimeUtc(path):O}")
            .Order(StringComparer.Ordinal)
            .ToList();

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}

/// <summary>An execution still running: a separate writer that holds its WAL-mode database open, as Kodosumi does.</summary>
public sealed class LiveExecution : IDisposable
{
    readonly SqliteConnection _db;

    LiveExecution(string fid, SqliteConnection db)
    {
        Fid = fid;
        _db = db;
    }

    public string Fid { get; }

    public static LiveExecution Start(DataSet data, DemoUser user)
    {
        var fid = Fids.New(DateTimeOffset.UtcNow, Random.Shared);
        var dir = Directory.CreateDirectory(Path.Combine(data.ExecutionRoot, user.FolderName, fid)).FullName;
        var db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(dir, ExecutionLayout.Database), Pooling = false }.ToString());
        db.Open();
        var live = new LiveExecution(fid, db);
        live.Execute("PRAGMA journal_mode=wal");
        live.Execute("CREATE TABLE IF NOT EXISTS monitor (id INTEGER PRIMARY KEY AUTOINCREMENT, timestamp REAL NOT NULL, kind TEXT NOT NULL, message TEXT NOT NULL)");
        return live;
    }

    public void Append(string kind, string message)
    {
        using var cmd = _db.CreateCommand();
        cmd.CommandText = "INSERT INTO monitor (timestamp, kind, message) VALUES ($t, $k, $m)";
        cmd.Parameters.AddWithValue("$t", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0);
        cmd.Parameters.AddWithValue("$k", kind);
        cmd.Parameters.AddWithValue("$m", message);
        cmd.ExecuteNonQuery();
    }

    void Execute(string sql)
    {
        using var cmd = _db.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    /// <summary>Closing checkpoints the WAL and deletes -wal/-shm: the execution is finished on disk.</summary>
    public void Dispose() => _db.Dispose();
}
