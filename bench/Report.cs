using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Kodosumi.Bench;

/// <summary>
/// Writes the run's full results to <c>latest.json</c> and <c>latest.md</c>, and appends one row per data size to
/// the table in <c>history.md</c>; a run never leaves a file of its own.
/// </summary>
public static class Report
{
    const string HistoryHeader = """
        | date (UTC) | executions | cold index (executions/s) | restart to ready (s) | idle rescan CPU (s) | idle CPU (% of a core) | freshness p99 live / resumed (ms) | peak memory cold / restart (MB) | first page uncached p99 (ms) | slowest first answer after a change p99 (ms) | `agent-stats` req/s | note |
        | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
        """;

    public static void Write(string outDir, List<Dictionary<string, object?>> results, string name = "latest", string note = "")
    {
        var machine = $"{Environment.ProcessorCount} cores, {GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1L << 30)} GiB, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}";
        var date = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);
        var json = JsonSerializer.Serialize(new { date, machine, results }, new JsonSerializerOptions { WriteIndented = true });
        File.WriteAllText(Path.Combine(outDir, $"{name}.json"), json);

        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture, $"Measured {date} on {machine}.");
        md.AppendLine();
        md.AppendLine("| measure | " + string.Join(" | ", results.Select(r => $"{r["executions"]:N0} executions")) + " |");
        md.AppendLine("| --- |" + string.Concat(results.Select(_ => " --- |")));
        void Line(string label, Func<Dictionary<string, object?>, string> cell) =>
            md.AppendLine($"| {label} | " + string.Join(" | ", results.Select(cell)) + " |");
        string Get(Dictionary<string, object?> r, string key) => r.TryGetValue(key, out var v) && v is not null ? Format(v) : "–";
        Line("data set made by (s; templates: FastDataSet)", r => Get(r, "data_made_seconds"));
        Line("data set on disk (GB; with its WAL executions)", r => Get(r, "data_disk_gb") + (r.ContainsKey("data_wal_executions") ? $" ({Get(r, "data_wal_executions")} WAL)" : ""));
        Line("cold index to ready (s)", r => Get(r, "cold_index_seconds"));
        Line("cold index (executions/s)", r => Get(r, "cold_index_per_second"));
        Line("restart with the index in place to ready (s; data in the page cache)", r => Get(r, "restart_ready_seconds"));
        Line("restart right after the cold index to ready (s; folder metadata partly dropped)", r => Get(r, "restart_after_cold_index_ready_seconds"));
        Line("restart: CPU to ready (s) / resident memory at ready (MB)", r => $"{Get(r, "restart_cpu_seconds_to_ready")} / {Get(r, "restart_rss_mb")}");
        Line("idle CPU, default settings, averaged (% of one core; minutes)", r => r.ContainsKey("idle_cpu_percent_of_core") ? $"{Get(r, "idle_cpu_percent_of_core")} ({Get(r, "idle_minutes")} min)" : "–");
        Line("idle CPU per minute (% of one core)", r => Get(r, "idle_cpu_percent_per_minute"));
        Line("idle rescan CPU (s)", r => Get(r, "idle_rescan_cpu_seconds"));
        Line("first rescan after the cold index, CPU (s; compiles the rescan's code)", r => Get(r, "first_rescan_cpu_seconds"));
        Line("freshness p50 / p99 (ms)", r => Get(r, "freshness"));
        Line("freshness of a run resumed after days p50 / p99 (ms)", r => Get(r, "freshness_resumed"));
        string[] queries = ["running_agents_24h", "running_agents_24h_first_page", "running_agents_all_first_page", "agent_stats", "timeline_168h_buckets", "errors", "details"];
        foreach (var q in queries)
            Line($"`{q}` p50 / p99 (ms)", r => Get(r, $"latency_{q}"));
        foreach (var q in queries)
            Line($"`{q}` uncached p50 / p99 (ms)", r => Get(r, $"latency_uncached_{q}"));
        Line("first `running_agents_all_first_page` after a committed row p50 / p99 (ms)", r => Get(r, "latency_after_change_running_agents_all_first_page"));
        Line("first `agent_stats` after a committed row p50 / p99 (ms)", r => Get(r, "latency_after_change_agent_stats"));
        Line("first `running_agents_24h_first_page` after a committed row p50 / p99 (ms)", r => Get(r, "latency_after_change_running_agents_24h_first_page"));
        Line("first `timeline_168h_buckets` after a committed row p50 / p99 (ms)", r => Get(r, "latency_after_change_timeline_168h_buckets"));
        Line("first all-time first page of a plain user after a committed row p50 / p99 (ms)", r => Get(r, "latency_after_change_running_agents_all_first_page_plain_user"));
        Line("`agent-stats` requests/s (32 clients)", r => Get(r, "rps_agent_stats"));
        Line("`running-agents` requests/s (32 clients)", r => Get(r, "rps_running_agents"));
        Line("peak resident memory (MB)", r => Get(r, "peak_rss_mb"));
        Line("peak resident memory after the uncached queries (MB)", r => Get(r, "peak_rss_after_uncached_mb"));
        Line("peak resident memory of the restarted service (MB)", r => Get(r, "restart_peak_rss_mb"));
        Line("latency samples per query", r => Get(r, "latency_samples"));
        Line("index file (MB)", r => Get(r, "index_file_mb"));
        Line("unpaged all-time `running-agents` (MB of JSON)", r => Get(r, "unpaged_all_mb"));
        Line("unpaged all-time, reused p50 / p99 to the last byte (ms)", r => Get(r, "latency_unpaged_all"));
        Line("unpaged all-time, reused, gzip accepted p50 / p99 (ms)", r => Get(r, "latency_unpaged_all_gzip"));
        Line("unpaged all-time, computed each time p50 / p99 (ms)", r => Get(r, "latency_uncached_unpaged_all"));
        Line("unpaged all-time, 8 at once (each computed) p50 / p99 (ms)", r => Get(r, "latency_unpaged_all_8_at_once"));
        Line("peak memory above idle with 8 unpaged all-time lists at once (MB)", r => Get(r, "unpaged_all_8_at_once_peak_above_idle_mb"));
        Line("data set read into the page cache before the cold index (s)", r => Get(r, "data_warm_seconds"));
        Line("the same read again (s; about as long as the first when the page cache did not keep it)", r => Get(r, "data_reread_seconds"));
        Line("baseline `running-agents` p50 / p99 (ms)", r => Get(r, "baseline_running_agents"));
        Line("baseline `agent-stats` p50 / p99 (ms)", r => Get(r, "baseline_agent_stats"));
        Line("ratio baseline / service, `running-agents`", r => Ratio(r, "baseline_running_agents", "latency_running_agents_24h"));
        Line("ratio baseline / service, `agent-stats`", r => Ratio(r, "baseline_agent_stats", "latency_agent_stats"));
        File.WriteAllText(Path.Combine(outDir, $"{name}.md"), md.ToString());
        Console.WriteLine(md);
        AppendHistory(Path.Combine(outDir, "history.md"), date, results, note);
    }

    /// <summary>One row per data size, in the columns of <see cref="HistoryHeader"/>; the table is started when the file is new.</summary>
    static void AppendHistory(string path, string date, List<Dictionary<string, object?>> results, string note)
    {
        string Get(Dictionary<string, object?> r, string key) => r.TryGetValue(key, out var v) && v is not null ? Format(v) : "–";
        string P99(Dictionary<string, object?> r, string key) => r.GetValueOrDefault(key) is Latency l ? l.P99Ms.ToString("0", CultureInfo.InvariantCulture) : "–";
        string Number(Dictionary<string, object?> r, string key) => r.GetValueOrDefault(key) is IFormattable f ? f.ToString("#,0.###", CultureInfo.InvariantCulture) : "–";
        var rows = new StringBuilder();
        if (!File.Exists(path)) rows.AppendLine("# Benchmark history").AppendLine().AppendLine(HistoryHeader);
        var cell = note.Replace('|', '/').Replace('\n', ' ').Trim();
        foreach (var r in results)
            rows.AppendLine(CultureInfo.InvariantCulture,
                $"| {date[..16]} | {r["executions"]:N0} | {Number(r, "cold_index_per_second")} | {Get(r, "restart_ready_seconds")} | {Get(r, "idle_rescan_cpu_seconds")} " +
                $"| {Get(r, "idle_cpu_percent_of_core")} | {P99(r, "freshness")} / {P99(r, "freshness_resumed")} | {Get(r, "peak_rss_mb")} / {Get(r, "restart_peak_rss_mb")} " +
                $"| {P99(r, "latency_uncached_running_agents_all_first_page")} | {SlowestAfterChange(r)} | {Number(r, "rps_agent_stats")} | {cell} |");
        File.AppendAllText(path, rows.ToString());
    }

    /// <summary>The highest p99 among the first answers after a committed row, with the query it belongs to.</summary>
    static string SlowestAfterChange(Dictionary<string, object?> r)
    {
        const string prefix = "latency_after_change_";
        var slowest = r.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal) && kv.Value is Latency)
            .MaxBy(kv => ((Latency)kv.Value!).P99Ms);
        return slowest.Value is Latency l ? $"{l.P99Ms:0.#} ({slowest.Key[prefix.Length..]})" : "–";
    }

    static string Format(object v) => v switch
    {
        Latency l => $"{l.P50Ms:0.###} / {l.P99Ms:0.###}",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => v.ToString() ?? "",
    };

    static string Ratio(Dictionary<string, object?> r, string baseline, string service) =>
        r.GetValueOrDefault(baseline) is Latency b && r.GetValueOrDefault(service) is Latency s
            ? $"{b.P50Ms / s.P50Ms:N0}×"
            : "–";
}
