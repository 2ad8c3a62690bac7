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
    /// Requests per latency measure. The p99 of 200 was their 2nd-slowest: one request that met a rescan or a collection
    /// decided it, and the same build measured 3 ms in one run and 8 ms in the next. Of 1,000 it is the 10th-slowest.
    /// </summary>
    const int Samples = 1000;

    /// <summary>Sequential requests after a warm-up; each must succeed.</summary>
    public static Task<Latency> HttpLatency(HttpClient client, string url, int samples = Samples, int warmup = 50) =>
        HttpLatency(client, _ => url, samples, warmup);

    /// <summary>
    /// As above, each request with a query parameter of its own that the service ignores: no two are alike,
    /// so none is answered from the service's reuse of identical answers.
    /// </summary>
    public static Task<Latency> UncachedHttpLatency(HttpClient client, string url, int samples = Samples, int warmup = 50) =>
        HttpLatency(client, i => $"{url}{(url.Contains('?') ? '&' : '?')}uncached={i}", samples, warmup);

    static async Task<Latency> HttpLatency(HttpClient client, Func<int, string> urlOf, int samples, int warmup)
    {
        var times = new List<double>(samples);
        for (var i = 0; i < warmup + samples; i++)
        {
            var url = urlOf(i);
            var clock = Stopwatch.StartNew();
            using var response = await client.GetAsync(url);
            await response.Content.ReadAsByteArrayAsync();
            response.EnsureSuccessStatusCode();
            if (i >= warmup) times.Add(clock.Elapsed.TotalMilliseconds);
        }
        return Percentiles(times);
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
