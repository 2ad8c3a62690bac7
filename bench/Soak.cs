using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Kodosumi.Shared.Demo;
using Kodosumi.TestSupport;

namespace Kodosumi.Bench;

/// <summary>One sample of the soak: the service's resources and the latency of the queries answered since the previous sample.</summary>
public sealed record SoakSample(
    double Minute, double RssMb, int OpenFds, long Threads, double CpuSeconds, int Requests, int Failures,
    double P50Ms, double P99Ms, int Executions, int WriterEvents, double MachineLoad1m);

/// <summary>
/// A long run under steady work: separate <c>sqlite3</c> writer processes create, fill and delete executions
/// (the data set stays the same size), query loops ask every endpoint; every few seconds the service's
/// resident memory, open descriptors, threads, CPU and the latency are sampled.
/// </summary>
public static class Soak
{
    public static async Task Run(string apiDll, string outDir, TimeSpan duration, TimeSpan every, int size)
    {
        var dataDir = Path.Combine(Path.GetTempPath(), $"kodo-soak-{Guid.NewGuid():N}");
        var indexDir = dataDir + "-index";
        Console.WriteLine($"Soak: {size:N0} executions, {duration.TotalMinutes:0.#} min, a sample every {every.TotalSeconds:0} s");
        new DemoDataGenerator(new DemoOptions { Executions = size, Seed = 99, LargeResultEvery = 500 }).Generate(dataDir);
        var root = Path.Combine(dataDir, "execution");
        var samples = new List<SoakSample>();
        try
        {
            using var service = ServiceProcess.Start(apiDll, dataDir, Path.Combine(indexDir, "index.db"), TimeSpan.FromSeconds(10), echo: Console.Error.WriteLine);
            await service.WaitReadyAsync(TimeSpan.FromMinutes(5));
            await service.SignInAsync("admin", "admin");
            await using var writers = LiveWriters.Start(root, writers: 4, seed: 1, pause: TimeSpan.FromMilliseconds(50), keep: 50);
            var latencies = new ConcurrentQueue<double>();
            var failures = 0;
            using var stop = new CancellationTokenSource(duration);
            var queries = Enumerable.Range(0, 4).Select(i => QueryLoop(service.Client, new Random(i), latencies, () => Interlocked.Increment(ref failures), stop.Token)).ToList();

            var clock = Stopwatch.StartNew();
            while (!stop.IsCancellationRequested)
            {
                try { await Task.Delay(every, stop.Token); } catch (OperationCanceledException) { }
                var interval = new List<double>();
                while (latencies.TryDequeue(out var ms)) interval.Add(ms);
                var latency = interval.Count > 0 ? Measure.Percentiles(interval) : new Latency(0, 0, 0);
                var sample = new SoakSample(
                    Math.Round(clock.Elapsed.TotalMinutes, 2), Math.Round(service.Rss() / 1048576.0, 1), service.OpenFileDescriptors(),
                    service.Threads(), Math.Round(CpuSeconds(service.Pid), 1), interval.Count, Interlocked.Exchange(ref failures, 0),
                    latency.P50Ms, latency.P99Ms, await Executions(service.Client), writers.Events, MachineLoad());
                samples.Add(sample);
                Console.WriteLine($"  {sample}");
            }
            await Task.WhenAll(queries);
        }
        finally
        {
            foreach (var dir in new[] { dataDir, indexDir })
                if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
        Write(outDir, samples, size, every);
    }

    static async Task QueryLoop(HttpClient client, Random random, ConcurrentQueue<double> latencies, Action failed, CancellationToken stop)
    {
        string[] urls =
        [
            "/api/dashboard/running-agents", "/api/dashboard/running-agents?hours=999999&limit=50&sort=-runtime",
            "/api/dashboard/agent-stats", "/api/dashboard/agent-stats?hours=24", "/api/dashboard/timeline?hours=168",
            "/api/dashboard/errors", "/api/dashboard/running-agents?status=running&limit=20",
        ];
        while (!stop.IsCancellationRequested)
        {
            var clock = Stopwatch.StartNew();
            try
            {
                using var response = await client.GetAsync(urls[random.Next(urls.Length)], stop);
                await response.Content.ReadAsByteArrayAsync(stop);
                if (response.IsSuccessStatusCode) latencies.Enqueue(clock.Elapsed.TotalMilliseconds);
                else failed();
                await Task.Delay(random.Next(5, 25), stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested) { }
            catch (HttpRequestException) { failed(); }
        }
    }

    static async Task<int> Executions(HttpClient client)
    {
        var json = JsonDocument.Parse(await client.GetStringAsync("/health/ready")).RootElement;
        return json.GetProperty("checks").GetProperty("index").GetProperty("data").GetProperty("executions_indexed").GetInt32();
    }

    /// <summary>User plus system CPU time of the process (fields 14 and 15 of /proc/pid/stat, in clock ticks of 1/100 s).</summary>
    internal static double CpuSeconds(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
    }

    internal static double MachineLoad() => double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture);

    /// <summary>Flat means the last quarter's median stays within 10 % (and a small absolute margin) of the second quarter's: the first quarter is warm-up.</summary>
    static (double Early, double Late, bool Flat) Trend(List<SoakSample> samples, Func<SoakSample, double> value, double margin)
    {
        double Median(IEnumerable<double> xs) { var s = xs.Order().ToList(); return s.Count == 0 ? 0 : s[s.Count / 2]; }
        var q = Math.Max(1, samples.Count / 4);
        var early = Median(samples.Skip(q).Take(q).Select(value));
        var late = Median(samples.TakeLast(q).Select(value));
        return (early, late, late <= early * 1.10 + margin);
    }

    static void Write(string outDir, List<SoakSample> samples, int size, TimeSpan every)
    {
        var machine = $"{Environment.ProcessorCount} cores, {GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1L << 30)} GiB, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}";
        var date = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);
        var trends = new Dictionary<string, (double Early, double Late, bool Flat)>
        {
            ["resident memory (MB)"] = Trend(samples, s => s.RssMb, 10),
            ["open file descriptors"] = Trend(samples, s => s.OpenFds, 5),
            ["threads"] = Trend(samples, s => s.Threads, 3),
            ["p50 latency (ms)"] = Trend(samples, s => s.P50Ms, 1),
            ["p99 latency (ms)"] = Trend(samples, s => s.P99Ms, 5),
        };
        var minutes = samples.Count > 0 ? samples[^1].Minute : 0;
        File.WriteAllText(Path.Combine(outDir, "soak.json"), JsonSerializer.Serialize(new
        {
            date, machine, executions = size, minutes, sample_seconds = every.TotalSeconds,
            trends = trends.ToDictionary(t => t.Key, t => new { early = t.Value.Early, late = t.Value.Late, flat = t.Value.Flat }),
            samples,
        }, new JsonSerializerOptions { WriteIndented = true }));

        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture, $"Soak measured {date} on {machine}: {minutes:0.#} minutes over {size:N0} executions, 4 `sqlite3` writer processes creating, filling and deleting executions (the set stays the same size), 4 query loops.");
        md.AppendLine(CultureInfo.InvariantCulture, $"Machine load (1 min) during the run: {samples.Select(s => s.MachineLoad1m).DefaultIfEmpty().Min():0.##}–{samples.Select(s => s.MachineLoad1m).DefaultIfEmpty().Max():0.##} on {Environment.ProcessorCount} cores (other engineers' builds and tests share the machine).");
        md.AppendLine();
        md.AppendLine("| measure | second quarter (median) | last quarter (median) | flat |");
        md.AppendLine("| --- | --- | --- | --- |");
        foreach (var (name, t) in trends) md.AppendLine(CultureInfo.InvariantCulture, $"| {name} | {t.Early:0.##} | {t.Late:0.##} | {(t.Flat ? "yes" : "no")} |");
        md.AppendLine();
        md.AppendLine("| minute | RSS (MB) | fds | threads | CPU (s) | requests | failed | p50 (ms) | p99 (ms) | executions | events written | load |");
        md.AppendLine("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        foreach (var s in samples)
            md.AppendLine(CultureInfo.InvariantCulture, $"| {s.Minute} | {s.RssMb} | {s.OpenFds} | {s.Threads} | {s.CpuSeconds} | {s.Requests} | {s.Failures} | {s.P50Ms} | {s.P99Ms} | {s.Executions} | {s.WriterEvents} | {s.MachineLoad1m} |");
        File.WriteAllText(Path.Combine(outDir, "soak.md"), md.ToString());
        Console.WriteLine(md);
    }
}
