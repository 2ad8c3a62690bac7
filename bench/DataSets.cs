using Kodosumi.Shared;
using Kodosumi.Shared.Demo;
using Kodosumi.TestSupport;

namespace Kodosumi.Bench;

/// <summary>Generated data sets, cached on disk between runs (generating 100,000 databases takes minutes).</summary>
public static class DataSets
{
    /// <summary>Sizes from which <see cref="FastDataSet"/> makes the set: the generator would take hours.</summary>
    public const int FastFrom = 500_000;

    public static string Ensure(string cacheDir, int executions, bool fast = false)
    {
        if (fast || executions >= FastFrom) return EnsureFast(cacheDir, executions);
        var dir = Path.Combine(cacheDir, $"data-{executions}");
        var done = Path.Combine(cacheDir, $"data-{executions}.done");
        if (File.Exists(done)) return dir;
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        Console.WriteLine($"Generating {executions:N0} executions in {dir} ...");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        // Realistic sizes: 10 to 30 events each, a result of about a megabyte now and then, files, users.
        new DemoDataGenerator(new DemoOptions { Executions = executions, Seed = executions, LargeResultEvery = 500 }).Generate(dir);
        File.WriteAllText(done, DateTimeOffset.UtcNow.ToString("O"));
        Console.WriteLine($"  generated in {clock.Elapsed.TotalSeconds:F0} s");
        return dir;
    }

    /// <summary>Made by <see cref="FastDataSet"/>, in a folder of its own (the generator's sets of the same size stay as they are).</summary>
    static string EnsureFast(string cacheDir, int executions)
    {
        var dir = Path.Combine(cacheDir, $"fastdata-{executions}");
        var done = Path.Combine(cacheDir, $"fastdata-{executions}.done");
        if (File.Exists(done)) return dir;
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        Console.WriteLine($"Making {executions:N0} executions from templates in {dir} ...");
        var stats = FastDataSet.Make(dir, executions, seed: executions);
        File.WriteAllText(done, System.Text.Json.JsonSerializer.Serialize(stats));
        return dir;
    }

    /// <summary>How the set in <paramref name="dataDir"/> was made, if <see cref="FastDataSet"/> made it.</summary>
    public static FastDataStats? FastStats(string dataDir) =>
        File.Exists(dataDir + ".done") && File.ReadAllText(dataDir + ".done").TrimStart().StartsWith('{')
            ? System.Text.Json.JsonSerializer.Deserialize<FastDataStats>(File.ReadAllText(dataDir + ".done"))
            : null;

    /// <summary>
    /// An execution awaiting a person's answer for three days (a closed WAL database), added before the service starts
    /// so that it is quiet when indexed; the caller deletes it afterwards. Returns its database.
    /// </summary>
    public static string AddQuietRun(string executionRoot)
    {
        var started = DateTimeOffset.UtcNow.AddDays(-3);
        var dir = Path.Combine(Directory.GetDirectories(executionRoot)[0], Fids.New(started, Random.Shared));
        var database = Path.Combine(dir, "sqlite3.db");
        using var writer = SqliteCliWriter.Open(database);
        var t = started.ToUnixTimeMilliseconds() / 1000.0;
        writer.Append("status", "starting", t);
        writer.Append("meta", """{"dict": {"summary": "Approval Flow"}}""", t);
        writer.Append("status", "awaiting", t + 30);
        return database;
    }

    /// <summary>
    /// Reads every file of a data set once, so the cold index measures the indexer and not the disk: this kind of
    /// machine pages out file data that sat unused for a while (DAMON), and the baseline's figures are taken warm too.
    /// </summary>
    public static TimeSpan Warm(string dir)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var buffer = new byte[1 << 20];
        foreach (var file in Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories))
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 0);
            while (stream.Read(buffer) > 0) { }
        }
        return clock.Elapsed;
    }
}
