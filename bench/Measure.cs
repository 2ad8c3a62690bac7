using System.Diagnostics;

namespace Kodosumi.Bench;

public sealed record Latency(double P50Ms, double P99Ms, int Samples);

public static class Measure
{
    public static Latency Percentiles(List<double> ms)
    {
        ms.Sort();
        double At(double p) => ms[Math.Clamp((int)Math.Ceiling(p * ms.Count) - 1, 0, ms.Count - 1)];
        return new Latency(Math.Round(At(0.50), 3), Math.Round(At(0.99), 3), ms.Count);
    }

    /// <summary>
    /// Requests per latency measure: of 1,000 the p99 is the 10th-slowest, so one request that meets a rescan does not decide it.
    /// </summary>
    const int Samples = 1000;

    /// <summary>Sequential requests after a warm-up; each must succeed.</summary>
    public static Task<Latency> HttpLatency(HttpClient client, string url, int samples = Samples, int warmup = 50, bool gzip = false) =>
        HttpLatency(client, _ => url, samples, warmup, gzip);

    /// <summary>
    /// As above, each request with a query parameter of its own that the service ignores: no two are alike,
    /// so none is answered from the service's reuse of identical answers.
    /// </summary>
    public static Task<Latency> UncachedHttpLatency(HttpClient client, string url, int samples = Samples, int warmup = 50) =>
        HttpLatency(client, i => $"{url}{(url.Contains('?') ? '&' : '?')}uncached={i}", samples, warmup);

    /// <summary>Sequential requests; <paramref name="gzip"/> asks for a compressed answer, as browsers do, and times its compressed bytes.</summary>
    static async Task<Latency> HttpLatency(HttpClient client, Func<int, string> urlOf, int samples, int warmup, bool gzip = false)
    {
        var times = new List<double>(samples);
        for (var i = 0; i < warmup + samples; i++)
        {
            var clock = Stopwatch.StartNew();
            await TimeToLastByte(client, urlOf(i), gzip);
            if (i >= warmup) times.Add(clock.Elapsed.TotalMilliseconds);
        }
        return Percentiles(times);
    }

    /// <summary>One request read to its last byte; returns the bytes read.</summary>
    public static async Task<long> TimeToLastByte(HttpClient client, string url, bool gzip = false)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (gzip) request.Headers.AcceptEncoding.ParseAdd("gzip");
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        await using var body = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[81920];
        long total = 0;
        int n;
        while ((n = await body.ReadAsync(buffer)) > 0) total += n;
        return total;
    }

    /// <summary>
    /// <paramref name="parallel"/> requests at once, each a query of its own (so each is computed), <paramref name="rounds"/> times:
    /// the time to the last byte of each, and the service's peak resident memory above what it held before.
    /// </summary>
    public static async Task<(Latency Latency, double PeakAboveIdleMb)> AtOnce(HttpClient client, string url, int parallel, int rounds, Func<long> rss, Action resetPeak, Func<long> peak)
    {
        var idle = rss();
        resetPeak();
        var times = new List<double>();
        for (var round = 0; round < rounds; round++)
            times.AddRange(await Task.WhenAll(Enumerable.Range(0, parallel).Select(async i =>
            {
                var clock = Stopwatch.StartNew();
                await TimeToLastByte(client, $"{url}{(url.Contains('?') ? '&' : '?')}at_once={round}-{i}");
                return clock.Elapsed.TotalMilliseconds;
            })));
        return (Percentiles(times), Math.Round((peak() - idle) / 1048576.0, 1));
    }

    /// <summary>Requests per second with <paramref name="clients"/> concurrent loops for <paramref name="duration"/>.</summary>
    public static async Task<double> Throughput(HttpClient client, string url, int clients, TimeSpan duration)
    {
        long done = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
        {
            while (clock.Elapsed < duration)
            {
                using var response = await client.GetAsync(url);
                await response.Content.ReadAsByteArrayAsync();
                response.EnsureSuccessStatusCode();
                Interlocked.Increment(ref done);
            }
        }));
        return Math.Round(done / clock.Elapsed.TotalSeconds);
    }

    public static Latency Timed(Func<int> action, int repeats)
    {
        var times = new List<double>();
        for (var i = 0; i < repeats; i++)
        {
            var clock = Stopwatch.StartNew();
            action();
            times.Add(clock.Elapsed.TotalMilliseconds);
        }
        return Percentiles(times);
    }
}
