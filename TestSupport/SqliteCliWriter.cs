using System.Diagnostics;
using System.Globalization;

namespace Kodosumi.TestSupport;

/// <summary>
/// A separate writer process, as Kodosumi is (used by the tests and the benchmark): the <c>sqlite3</c> command-line shell holding an execution
/// database open in WAL mode and appending rows in autocommit, so new rows sit in <c>-wal</c> until it quits.
/// </summary>
public sealed class SqliteCliWriter : IDisposable
{
    readonly Process _process;
    int _marker;
    bool _disposed;

    SqliteCliWriter(Process process) => _process = process;

    public static SqliteCliWriter Open(string databasePath)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(databasePath)!);
        var process = Process.Start(new ProcessStartInfo("sqlite3", [databasePath])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        }) ?? throw new InvalidOperationException("cannot start sqlite3");
        var writer = new SqliteCliWriter(process);
        writer.Run("""
            PRAGMA journal_mode=wal;
            CREATE TABLE IF NOT EXISTS monitor (id INTEGER PRIMARY KEY AUTOINCREMENT, timestamp REAL NOT NULL, kind TEXT NOT NULL, message TEXT NOT NULL);
            """);
        return writer;
    }

    /// <summary>Appends one event and returns once the shell has committed it.</summary>
    public void Append(string kind, string message, double? timestamp = null)
    {
        var t = (timestamp ?? DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0).ToString("R", CultureInfo.InvariantCulture);
        Run($"INSERT INTO monitor (timestamp, kind, message) VALUES ({t}, '{kind}', '{message.Replace("'", "''")}');");
    }

    /// <summary>Runs SQL and waits for the shell to print a marker after it, so the statements are done.</summary>
    public void Run(string sql)
    {
        var marker = $"done-{++_marker}";
        _process.StandardInput.WriteLine(sql);
        _process.StandardInput.WriteLine($"SELECT '{marker}';");
        _process.StandardInput.Flush();
        while (_process.StandardOutput.ReadLine() is { } line)
        {
            if (line == marker) return;
        }
        throw new InvalidOperationException($"sqlite3 ended: {_process.StandardError.ReadToEnd()}");
    }

    /// <summary>Closes the connection as Kodosumi does when an execution ends: checkpoint, -wal and -shm removed.</summary>
    public void Close()
    {
        if (_disposed || _process.HasExited) return;
        _process.StandardInput.WriteLine(".quit");
        _process.StandardInput.Close();
        if (!_process.WaitForExit(10_000)) _process.Kill();
    }

    public void Dispose()
    {
        Close();
        _process.Dispose();
        _disposed = true; // a second Dispose (a test's finally) must not ask the disposed process anything
    }
}
