using Kodosumi.Shared.Demo;

namespace Kodosumi.Bench;

/// <summary>Generated data sets, cached on disk between runs (generating 100,000 databases takes minutes).</summary>
public static class DataSets
{
    public static string Ensure(string cacheDir, int executions)
    {
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
}
