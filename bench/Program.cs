using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using Kodosumi.Bench;
using Kodosumi.Shared;
using Kodosumi.TestSupport;

// Usage: dotnet run -c Release --project bench -- [--sizes 1000,10000,100000] [--baseline 1000,10000] [--note "what changed"] [--generate-only] [--fast-data]
//        [--idle-minutes 10] [--out-name latest]
//        dotnet run -c Release --project bench -- --soak <minutes> [--soak-size 2000] [--sample-seconds 15]
string Arg(string name, string fallback) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault() ?? fallback;
int[] Sizes(string name, string fallback) => Arg(name, fallback).Split(',').Select(int.Parse).ToArray();

var repo = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../.."));
var cache = Path.Combine(repo, "bench", ".cache");
var outDir = Path.Combine(repo, "bench", "results");
var sizes = Sizes("--sizes", "1000,10000,100000");
var baselineSizes = Arg("--baseline", "1000,10000") is "" ? [] : Sizes("--baseline", "1000,10000");
// Idle CPU with the service's default settings after a restart on the index, averaged over this many minutes (0: not measured).
var idleMinutes = double.Parse(Arg("--idle-minutes", "0"), CultureInfo.InvariantCulture);
var outName = Arg("--out-name", "latest");
// --fast-data: the template maker for every size (it always makes sets from DataSets.FastFrom on).
var fastData = args.Contains("--fast-data");
Directory.CreateDirectory(cache);
Directory.CreateDirectory(outDir);

if (args.Contains("--generate-only"))
{
    foreach (var size in sizes) DataSets.Ensure(cache, size, fastData);
    return;
}

// Published as the image publishes it: for this machine's runtime, so compiled ahead of time (ReadyToRun).
Console.WriteLine("Publishing the service (Release) ...");
var apiOut = Path.Combine(cache, "api");
var rid = $"linux-{RuntimeInformation.OSArchitecture.ToString().ToLowerInvariant()}";
var build = Process.Start("dotnet", ["publish", Path.Combine(repo, "Api"), "-c", "Release", "-r", rid, "--self-contained", "false", "-o", apiOut, "--nologo", "-v", "q"])!;
build.WaitForExit();
if (build.ExitCode != 0) throw new InvalidOperationException("build failed");
var apiDll = Path.Combine(apiOut, "Kodosumi.Api.dll");

if (args.Contains("--soak"))
{
    await Soak.Run(apiDll, outDir, TimeSpan.FromMinutes(double.Parse(Arg("--soak", "30"), CultureInfo.InvariantCulture)),
        TimeSpan.FromSeconds(int.Parse(Arg("--sample-seconds", "15"), CultureInfo.InvariantCulture)), int.Parse(Arg("--soak-size", "2000"), CultureInfo.InvariantCulture));
    return;
}

var results = new List<Dictionary<string, object?>>();
foreach (var size in sizes)
{
    var data = DataSets.Ensure(cache, size, fastData);
    var root = Path.Combine(data, "execution");
    var r = new Dictionary<string, object?> { ["executions"] = size };
    results.Add(r);
    var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;
    if (DataSets.FastStats(data) is { } made)
    {
        r["data_maker"] = "templates (FastDataSet)";
        r["data_made_seconds"] = made.Seconds;
        r["data_disk_gb"] = Math.Round(made.DiskBytes / 1e9, 2);
        r["data_wal_executions"] = made.WalExecutions;
    }
    var large = size > 100_000;
    // The baseline opens every database per request: minutes at a million.
    if (large && baselineSizes.Contains(size)) Console.WriteLine($"[{size:N0}] baseline skipped above 100,000 executions");

    if (baselineSizes.Contains(size) && !large)
    {
        Console.WriteLine($"[{size:N0}] baseline: scan every database per request ...");
        var repeats = size <= 1000 ? 5 : 2;
        r["baseline_running_agents"] = Measure.Timed(() => Baseline.RunningAgents(root, now), repeats);
        r["baseline_agent_stats"] = Measure.Timed(() => Baseline.AgentStats(root), repeats);
    }

    Console.WriteLine($"[{size:N0}] reading the data set once (page cache) ...");
    r["data_warm_seconds"] = Math.Round(DataSets.Warm(data).TotalSeconds, 1);
    // A second read shows whether the page cache kept the data set: if it did not, the cold index measures the disk.
    var reread = DataSets.Warm(data).TotalSeconds;
    r["data_reread_seconds"] = Math.Round(reread, 1);
    if (reread > 0.5 * (double)r["data_warm_seconds"]! && reread > 10)
        Console.WriteLine($"[{size:N0}] warning: the data set read again took {reread:F0} s: the page cache does not keep it, and the cold index will wait on the disk");
    var indexDir = Path.Combine(Path.GetTempPath(), $"kodo-bench-{Guid.NewGuid():N}");
    var quietRun = DataSets.AddQuietRun(root);
    // A rescan every 5 s keeps the idle-rescan measure short; from the fast sets' sizes one takes longer than that, so the
    // service would rescan without pause under every other measure: there it runs with its default (30 s).
    var rescanEvery = TimeSpan.FromSeconds(size >= DataSets.FastFrom ? 30 : 5);
    r["rescan_interval_seconds"] = rescanEvery.TotalSeconds;
    using (var service = ServiceProcess.Start(apiDll, data, Path.Combine(indexDir, "index.db"), rescanEvery, echo: Console.Error.WriteLine))
    {
        Console.WriteLine($"[{size:N0}] cold index ...");
        var cold = await service.WaitReadyAsync(TimeSpan.FromMinutes(30));
        r["cold_index_seconds"] = Math.Round(cold.TotalSeconds, 2);
        r["cold_index_per_second"] = Math.Round(size / cold.TotalSeconds);
        await service.SignInAsync("admin", "admin");

        Console.WriteLine($"[{size:N0}] idle rescan ...");
        // The first rescan after the cold index also compiles the rescan's own code: the second one is what each costs.
        var lastScan = await Health(service.Client, "last_scan_at");
        for (var rescan = 1; rescan <= 2; rescan++)
        {
            while (await Health(service.Client, "last_scan_at") == lastScan) await Task.Delay(200);
            lastScan = await Health(service.Client, "last_scan_at");
            var cpu = Math.Round(double.Parse(await Health(service.Client, "last_scan_cpu_seconds"), CultureInfo.InvariantCulture), 3);
            r[rescan == 1 ? "first_rescan_cpu_seconds" : "idle_rescan_cpu_seconds"] = cpu;
        }
        r["idle_rescan_wall_seconds"] = Math.Round(double.Parse(await Health(service.Client, "last_scan_seconds"), CultureInfo.InvariantCulture), 3);

        Console.WriteLine($"[{size:N0}] query latency ...");
        var someFid = JsonDocument.Parse(await service.Client.GetStringAsync("/api/dashboard/running-agents?hours=999999&limit=1"))
            .RootElement.GetProperty("agents")[0].GetProperty("fid").GetString();
        var queries = new Dictionary<string, string>
        {
            // Without paging parameters, as Kodosumi's own page asks: every execution of the last 24 h.
            ["running_agents_24h"] = "/api/dashboard/running-agents",
            // The first page exactly as the dashboard page asks for it.
            ["running_agents_24h_first_page"] = "/api/dashboard/running-agents?hours=24&limit=50&offset=0&sort=-start_time",
            ["running_agents_all_first_page"] = "/api/dashboard/running-agents?hours=999999&limit=50",
            ["agent_stats"] = "/api/dashboard/agent-stats",
            ["timeline_168h_buckets"] = "/api/dashboard/timeline?hours=168&limit=0",
            ["errors"] = "/api/dashboard/errors",
            ["details"] = $"/api/dashboard/execution/{someFid}/details?limit=100",
        };
        // At the fast sets' sizes an uncomputed answer can take long: fewer samples (the p99 is then the 2nd-slowest of 200).
        var samples = size >= DataSets.FastFrom ? 200 : 1000;
        var warmup = size >= DataSets.FastFrom ? 10 : 50;
        r["latency_samples"] = samples;
        foreach (var (name, url) in queries) r[$"latency_{name}"] = await Measure.HttpLatency(service.Client, url, samples, warmup);

        Console.WriteLine($"[{size:N0}] throughput ...");
        r["rps_agent_stats"] = await Measure.Throughput(service.Client, "/api/dashboard/agent-stats", 32, TimeSpan.FromSeconds(5));
        r["rps_running_agents"] = await Measure.Throughput(service.Client, "/api/dashboard/running-agents?limit=50", 32, TimeSpan.FromSeconds(5));

        Console.WriteLine($"[{size:N0}] freshness ...");
        r["watcher"] = await Health(service.Client, "watcher");
        // Without a watcher each write waits for the next rescan (5 s): 20 writes show that as well as 200.
        var writes = r["watcher"] as string == "watching" ? 200 : 20;
        r["freshness_writes"] = writes;
        try
        {
            var user = Directory.GetDirectories(root)[0];
            r["freshness"] = await Freshness(service.Client, Path.Combine(user, Fids.New(DateTimeOffset.UtcNow, Random.Shared), "sqlite3.db"), writes);
        }
        catch (TimeoutException e)
        {
            // Recorded, so the other measures of this size are not lost.
            r["freshness"] = e.Message;
            Console.WriteLine($"  {e.Message}; watcher: {await Health(service.Client, "watcher")}");
        }

        try
        {
            // A run quiet for days that a person answers now: its rows must be as fresh as a live run's.
            r["freshness_resumed"] = await Freshness(service.Client, quietRun, 50, firstCount: 3);
        }
        catch (TimeoutException e)
        {
            r["freshness_resumed"] = e.Message;
        }

        Console.WriteLine($"[{size:N0}] the first answers after a change ...");
        // A committed row moves the catalog's version: the first answer after it derives what the version's answers share.
        // A plain user sees only their own executions: the catalog derives their view apart from the operator's.
        using var alice = new HttpClient { BaseAddress = service.Client.BaseAddress };
        await ServiceProcess.SignInAsync(alice, "alice", "alice");
        foreach (var (name, client) in new[] { ("running_agents_24h_first_page", service.Client), ("running_agents_all_first_page", service.Client),
                     ("agent_stats", service.Client), ("timeline_168h_buckets", service.Client) })
            r[$"latency_after_change_{name}"] = await AfterChange(client, service.Client, quietRun, queries[name], 20);
        r["latency_after_change_running_agents_all_first_page_plain_user"] =
            await AfterChange(alice, service.Client, quietRun, queries["running_agents_all_first_page"], 20);

        r["peak_rss_mb"] = Math.Round(service.PeakRss() / 1048576.0, 1);

        // Last: every one of these answers is new, and the service keeps recent answers for reuse.
        Console.WriteLine($"[{size:N0}] uncached query latency ...");
        foreach (var (name, url) in queries) r[$"latency_uncached_{name}"] = await Measure.UncachedHttpLatency(service.Client, url, samples, warmup);
        r["peak_rss_after_uncached_mb"] = Math.Round(service.PeakRss() / 1048576.0, 1);
        r["index_file_mb"] = Math.Round(Directory.GetFiles(indexDir).Sum(f => new FileInfo(f).Length) / 1048576.0, 1);

        r["health_after_queries"] = await HealthData(service.Client);
        if (large)
        {
            // Hundreds of megabytes of JSON per answer, eight at once: the bench would measure its own memory.
            Console.WriteLine($"[{size:N0}] the unpaged all-time list skipped above 100,000 executions");
        }
        else
        {
            Console.WriteLine($"[{size:N0}] the unpaged all-time list ...");
            const string unpaged = "/api/dashboard/running-agents?hours=999999";
            r["unpaged_all_mb"] = Math.Round(await Measure.TimeToLastByte(service.Client, unpaged) / 1048576.0, 1);
            r["latency_unpaged_all"] = await Measure.HttpLatency(service.Client, unpaged, samples: 30, warmup: 3);
            r["latency_unpaged_all_gzip"] = await Measure.HttpLatency(service.Client, unpaged, samples: 30, warmup: 3, gzip: true);
            r["latency_uncached_unpaged_all"] = await Measure.UncachedHttpLatency(service.Client, unpaged, samples: 20, warmup: 2);
            var (atOnce, aboveIdle) = await Measure.AtOnce(service.Client, unpaged, parallel: 8, rounds: 3, service.Rss, service.ResetPeakRss, service.PeakRss);
            r["latency_unpaged_all_8_at_once"] = atOnce;
            r["unpaged_all_8_at_once_peak_above_idle_mb"] = aboveIdle;
        }
        // Stopped as docker stop does, so the restart below finds the index as a clean shutdown leaves it.
        r["stop_seconds"] = service.Terminate(TimeSpan.FromMinutes(2)) is { } stopped ? Math.Round(stopped.TotalSeconds, 2) : "not within 2 min";
    }

    // Right after the cold index the kernel may have dropped folder metadata of a data set larger than the page
    // cache keeps; this restart reads it back, so the one measured below finds the data in the page cache.
    using (var service = ServiceProcess.Start(apiDll, data, Path.Combine(indexDir, "index.db"), TimeSpan.FromSeconds(30), echo: Console.Error.WriteLine))
    {
        Console.WriteLine($"[{size:N0}] restart right after the cold index ...");
        r["restart_after_cold_index_ready_seconds"] = Math.Round((await service.WaitReadyAsync(TimeSpan.FromMinutes(30))).TotalSeconds, 2);
        service.Terminate(TimeSpan.FromMinutes(2));
    }

    // Restart on the index in place, with the service's default settings (a rescan every 30 s).
    using (var service = ServiceProcess.Start(apiDll, data, Path.Combine(indexDir, "index.db"), TimeSpan.FromSeconds(30), echo: Console.Error.WriteLine))
    {
        Console.WriteLine($"[{size:N0}] restart with the index in place ...");
        r["restart_ready_seconds"] = Math.Round((await service.WaitReadyAsync(TimeSpan.FromMinutes(30))).TotalSeconds, 2);
        r["restart_cpu_seconds_to_ready"] = Math.Round(Soak.CpuSeconds(service.Pid), 2);
        r["restart_rss_mb"] = Math.Round(service.Rss() / 1048576.0, 1);
        if (idleMinutes > 0)
        {
            Console.WriteLine($"[{size:N0}] idle CPU over {idleMinutes:0.#} min (default settings, no requests) ...");
            var (cpuStart, wall) = (Soak.CpuSeconds(service.Pid), Stopwatch.StartNew());
            var perMinute = new List<double>();
            var loads = new List<double>();
            var last = cpuStart;
            while (wall.Elapsed.TotalMinutes < idleMinutes)
            {
                await Task.Delay(TimeSpan.FromMinutes(Math.Min(1, idleMinutes)));
                var cpu = Soak.CpuSeconds(service.Pid);
                perMinute.Add(Math.Round(100 * (cpu - last) / 60 / Math.Min(1, idleMinutes), 2));
                loads.Add(Soak.MachineLoad());
                last = cpu;
            }
            r["idle_minutes"] = Math.Round(wall.Elapsed.TotalMinutes, 1);
            r["idle_cpu_percent_of_core"] = Math.Round(100 * (Soak.CpuSeconds(service.Pid) - cpuStart) / wall.Elapsed.TotalSeconds, 2);
            r["idle_cpu_percent_per_minute"] = string.Join(" ", perMinute.Select(p => p.ToString(CultureInfo.InvariantCulture)));
            r["idle_machine_load_1m"] = $"{loads.Min():0.##}–{loads.Max():0.##}";
            r["idle_rss_mb"] = Math.Round(service.Rss() / 1048576.0, 1);
        }
        r["restart_peak_rss_mb"] = Math.Round(service.PeakRss() / 1048576.0, 1);
        r["health_after_restart"] = await HealthData(service.Client);
    }
    Directory.Delete(indexDir, recursive: true);
    // The cached data set stays as generated.
    Directory.Delete(Path.GetDirectoryName(quietRun)!, recursive: true);
    Console.WriteLine(JsonSerializer.Serialize(r));
}

Report.Write(outDir, results, outName, Arg("--note", ""));
return;

/// <summary>
/// <paramref name="rounds"/> times: a row appended to <paramref name="database"/> by a separate writer, waited for until the API
/// shows it (to the operator), then one request of <paramref name="url"/> by <paramref name="client"/> that no earlier request asked,
/// timed to its last byte.
/// </summary>
static async Task<Latency> AfterChange(HttpClient client, HttpClient operatorClient, string database, string url, int rounds)
{
    var fid = Path.GetFileName(Path.GetDirectoryName(database)!);
    var times = new List<double>();
    // The client's connection and the viewer's code path warmed first: what is measured is the new version's cost.
    await Measure.TimeToLastByte(client, url);
    using var writer = SqliteCliWriter.Open(database);
    for (var i = 0; i < rounds; i++)
    {
        var before = JsonDocument.Parse(await operatorClient.GetStringAsync($"/api/dashboard/execution/{fid}/details?limit=1"))
            .RootElement.GetProperty("metadata").GetProperty("event_count").GetInt32();
        writer.Append("stdout", $"after change {i}");
        var clock = Stopwatch.StartNew();
        while (JsonDocument.Parse(await operatorClient.GetStringAsync($"/api/dashboard/execution/{fid}/details?limit=1"))
                   .RootElement.GetProperty("metadata").GetProperty("event_count").GetInt32() == before)
            if (clock.Elapsed > TimeSpan.FromSeconds(60)) throw new TimeoutException("a row not visible after 60 s");
        clock.Restart();
        await Measure.TimeToLastByte(client, $"{url}{(url.Contains('?') ? '&' : '?')}after_change={i}");
        times.Add(clock.Elapsed.TotalMilliseconds);
    }
    return Measure.Percentiles(times);
}

static async Task<string> HealthData(HttpClient client) =>
    JsonDocument.Parse(await client.GetStringAsync("/health/ready")).RootElement.GetProperty("checks").GetProperty("index").GetProperty("data").ToString();

static async Task<string> Health(HttpClient client, string key)
{
    var json = JsonDocument.Parse(await client.GetStringAsync("/health/ready")).RootElement;
    return json.GetProperty("checks").GetProperty("index").GetProperty("data").GetProperty(key).ToString();
}

/// <summary>
/// From a row committed by a separate writer process to the change being visible in the API: <paramref name="writes"/> rows
/// appended to <paramref name="database"/>, which holds <paramref name="firstCount"/> events before (0: a new execution, deleted after).
/// </summary>
static async Task<Latency> Freshness(HttpClient client, string database, int writes, int firstCount = 0)
{
    var fid = Path.GetFileName(Path.GetDirectoryName(database)!);
    var times = new List<double>();
    try
    {
        using var writer = SqliteCliWriter.Open(database);
        for (var i = 1; i <= writes; i++)
        {
            writer.Append("stdout", $"line {i}");
            var clock = Stopwatch.StartNew();
            while (true)
            {
                using var response = await client.GetAsync($"/api/dashboard/execution/{fid}/details?limit=1");
                if (response.IsSuccessStatusCode
                    && JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement
                        .GetProperty("metadata").GetProperty("event_count").GetInt32() == firstCount + i) break;
                if (clock.Elapsed > TimeSpan.FromSeconds(60)) throw new TimeoutException($"write {i} not visible after 60 s");
            }
            times.Add(clock.Elapsed.TotalMilliseconds);
        }
    }
    finally
    {
        // The cached data set stays as generated.
        if (firstCount == 0) Directory.Delete(Path.GetDirectoryName(database)!, recursive: true);
    }
    return Measure.Percentiles(times);
}
