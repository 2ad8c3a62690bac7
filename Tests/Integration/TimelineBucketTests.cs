using System.Net;
using System.Text.Json;
using Kodosumi.Shared;
using Kodosumi.Shared.Demo;
using Kodosumi.TestSupport;
using Kodosumi.Tests.Support;

namespace Kodosumi.Tests.Integration;

/// <summary>
/// Server-side timeline buckets in a time zone, over executions written at known instants around the
/// 2026 clock changes in Europe/Berlin (29 March, 25 October). The expected buckets come from the
/// machine's own tz database through <see cref="TimeZoneInfo"/>, not from the service's NodaTime.
/// </summary>
[Category("Integration")]
public class TimelineBucketTests : InProcessHostTest
{
    const string Timeline = "/api/dashboard/timeline?hours=999999&limit=0";
    static readonly string[] Statuses = ["finished", "error", "running"];

    /// <summary>Around each change: just before and after local midnight, and both sides of the changed hour.</summary>
    static readonly DateTimeOffset[] Starts =
    [
        At("2026-03-28T22:59:00Z"), At("2026-03-28T23:00:30Z"), At("2026-03-29T00:30:00Z"), At("2026-03-29T01:30:00Z"),
        At("2026-03-29T01:45:00Z"), At("2026-03-29T21:59:00Z"), At("2026-03-29T22:00:30Z"),
        At("2026-10-24T21:59:00Z"), At("2026-10-24T22:00:30Z"), At("2026-10-25T00:30:00Z"), At("2026-10-25T00:40:00Z"),
        At("2026-10-25T01:30:00Z"), At("2026-10-25T22:59:00Z"), At("2026-10-25T23:00:30Z"),
    ];

    readonly List<(double Start, string Status)> _executions = [];

    static DateTimeOffset At(string iso) => DateTimeOffset.Parse(iso, System.Globalization.CultureInfo.InvariantCulture);

    [OneTimeSetUp]
    public async Task WriteExecutionsAtKnownTimes()
    {
        CreateDataDir("kodo-buckets");
        // An empty demo data set gives admin.db; the executions are written by the sqlite3 shell.
        new DemoDataGenerator(new DemoOptions { Executions = 0 }).Generate(DataDir);
        var random = new Random(29);
        for (var i = 0; i < Starts.Length; i++)
        {
            var start = Starts[i].ToUnixTimeMilliseconds() / 1000.0;
            var status = Statuses[i % Statuses.Length];
            var fid = Fids.New(Starts[i], random);
            using var writer = SqliteCliWriter.Open(Path.Combine(DataDir, "execution", DemoDataGenerator.Users[1].FolderName, fid, "sqlite3.db"));
            writer.Append("status", "starting", start);
            writer.Append("meta", """{"dict": {"summary": "Clock Watcher"}}""", start + 1);
            writer.Append("status", status, start + 20);
            _executions.Add((start, status));
        }
        await StartHostAsync();
    }

    /// <summary>Start and end (Unix seconds) of the local hour or day holding the instant, by TimeZoneInfo.</summary>
    static (double Start, double End) ExpectedBucket(double unixSeconds, TimeZoneInfo zone, string bucket)
    {
        var utc = DateTimeOffset.FromUnixTimeMilliseconds((long)(unixSeconds * 1000));
        var local = TimeZoneInfo.ConvertTime(utc, zone);
        if (bucket == "hour")
        {
            var start = utc.AddTicks(-(local.DateTime.Ticks % TimeSpan.TicksPerHour));
            return (start.ToUnixTimeSeconds(), start.AddHours(1).ToUnixTimeSeconds());
        }
        double Midnight(DateTime date) => new DateTimeOffset(TimeZoneInfo.ConvertTimeToUtc(DateTime.SpecifyKind(date, DateTimeKind.Unspecified), zone)).ToUnixTimeSeconds();
        return (Midnight(local.Date), Midnight(local.Date.AddDays(1)));
    }

    static List<(double Start, double End, int Total, Dictionary<string, int> Counts)> Buckets(JsonElement json) =>
        json.GetProperty("buckets").EnumerateArray().Select(b => (
            b.GetProperty("start").GetDouble(), b.GetProperty("end").GetDouble(), b.GetProperty("total").GetInt32(),
            b.GetProperty("counts").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32()))).ToList();

    [TestCase("Europe/Berlin", "day")]
    [TestCase("Europe/Berlin", "hour")]
    [TestCase("Asia/Kolkata", "hour")]
    [TestCase("America/Sao_Paulo", "day")]
    [TestCase("UTC", "day")]
    public async Task Buckets_follow_the_local_clock(string tz, string bucket)
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById(tz);
        var expected = _executions.GroupBy(e => ExpectedBucket(e.Start, zone, bucket)).OrderBy(g => g.Key.Start)
            .Select(g => (g.Key.Start, g.Key.End, Total: g.Count(), Counts: g.CountBy(e => e.Status).ToDictionary())).ToList();
        var actual = Buckets(await Client.GetJson($"{Timeline}&bucket={bucket}&tz={Uri.EscapeDataString(tz)}"));
        Assert.That(actual.Select(b => (b.Start, b.End, b.Total)), Is.EqualTo(expected.Select(b => (b.Start, b.End, b.Total))));
        foreach (var (a, e) in actual.Zip(expected)) Assert.That(a.Counts, Is.EquivalentTo(e.Counts), $"bucket at {a.Start}");
    }

    [Test]
    public async Task Berlin_days_last_23_hours_in_March_and_25_in_October()
    {
        var days = Buckets(await Client.GetJson($"{Timeline}&bucket=day&tz=Europe/Berlin"));
        var march29 = days.Single(d => d.Start == At("2026-03-28T23:00:00Z").ToUnixTimeSeconds());
        var october25 = days.Single(d => d.Start == At("2026-10-24T22:00:00Z").ToUnixTimeSeconds());
        Assert.That(march29.End - march29.Start, Is.EqualTo(23 * 3600));
        Assert.That(october25.End - october25.Start, Is.EqualTo(25 * 3600));
        // 23:00:30Z on the 28th, 00:30Z, 01:30Z, 01:45Z and 21:59Z are all on the 29th in Berlin.
        Assert.That(march29.Total, Is.EqualTo(5));
        Assert.That(october25.Total, Is.EqualTo(5));
    }

    [Test]
    public async Task The_two_half_past_two_hours_of_the_October_night_stay_apart()
    {
        var hours = Buckets(await Client.GetJson($"{Timeline}&bucket=hour&tz=Europe/Berlin"));
        // 02:30 summer time (00:30Z, 00:40Z) and 02:30 winter time (01:30Z) are different hours.
        Assert.That(hours.Single(h => h.Start == At("2026-10-25T00:00:00Z").ToUnixTimeSeconds()).Total, Is.EqualTo(2));
        Assert.That(hours.Single(h => h.Start == At("2026-10-25T01:00:00Z").ToUnixTimeSeconds()).Total, Is.EqualTo(1));
    }

    [Test]
    public async Task Without_bucket_or_tz_the_buckets_are_utc_hours_as_before()
    {
        var hours = Buckets(await Client.GetJson(Timeline));
        var expected = _executions.GroupBy(e => Math.Floor(e.Start / 3600) * 3600).OrderBy(g => g.Key).Select(g => (g.Key, g.Count()));
        Assert.That(hours.Select(h => (h.Start, h.Total)), Is.EqualTo(expected));
    }

    [TestCase("tz=Mars/Olympus_Mons", "tz")]
    [TestCase("tz=CEST%2B99", "tz")]
    [TestCase("bucket=week", "bucket")]
    public async Task Unknown_tz_or_bucket_gets_400_naming_it(string query, string parameter)
    {
        var response = await Client.GetAsync($"{Timeline}&{query}");
        var body = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), body);
        Assert.That(body, Does.Contain(parameter));
    }
}
