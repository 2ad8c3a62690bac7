using System.Diagnostics;
using System.Globalization;
using Kodosumi.Api.Auth;
using Kodosumi.Api.Features.Dashboard;
using Kodosumi.Api.Features.Dashboard.AgentStats;
using Kodosumi.Api.Features.Dashboard.Stalls;
using Kodosumi.Api.Features.Dashboard.Timeline;
using Kodosumi.Indexer.Store;
using Kodosumi.Shared;
using Kodosumi.Shared.Model;
using NodaTime;

// The dashboard's aggregates in process, on a catalog of synthetic summaries shaped like the fast data set (a few
// users run most executions, a year of start times): each answer's computation uncached (the catalog's kept values
// warm), and the first one after a single committed change. No HTTP, no JSON: what grows with the index.
// Usage: dotnet run -c Release --project bench/Aggregates -- [--executions 1000000] [--samples 1000] [--changes 100]
string Arg(string name, string fallback) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault() ?? fallback;
var executions = int.Parse(Arg("--executions", "1000000"), CultureInfo.InvariantCulture);
var samples = int.Parse(Arg("--samples", "1000"), CultureInfo.InvariantCulture);
var changes = int.Parse(Arg("--changes", "100"), CultureInfo.InvariantCulture);

const double now = 1_796_000_000;
var random = new Random(23);
var users = Enumerable.Range(0, 100).Select(i => $"user-{i:D3}-{Guid.NewGuid():N}").ToArray();
var agents = Enumerable.Range(0, 24).Select(i => $"Agent {i}").ToArray();
string[] statuses = ["finished", "finished", "finished", "finished", "finished", "finished", "error", "running", "awaiting", "starting"];

ExecutionSummary Make(string user, double start)
{
    var status = statuses[random.Next(statuses.Length)];
    return new ExecutionSummary
    {
        Fid = Fids.New(DateTimeOffset.FromUnixTimeMilliseconds((long)(start * 1000)), random),
        UserId = user,
        AgentName = agents[(int)(agents.Length * Math.Pow(random.NextDouble(), 1.5))],
        Status = status,
        FirstTimestamp = start,
        LastTimestamp = start + random.Next(3600),
        Runtime = ExecutionStatus.IsWorking(status) ? null : random.Next(3600),
        LatestError = status == "error" ? "boom" : null,
        EventCount = 10,
    };
}

var clock = Stopwatch.StartNew();
var catalog = new ExecutionCatalog(new IndexEvents(64));
var made = new List<ExecutionSummary>(executions);
for (var i = 0; i < executions; i++)
    made.Add(Make(users[(int)(users.Length * Math.Pow(random.NextDouble(), 2.5))], now - random.NextDouble() * 365 * 86400));
catalog.Load(made, []);
made = null;
// The service compacts its heap after a load too.
GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
Console.WriteLine($"{executions:N0} summaries loaded in {clock.Elapsed.TotalSeconds:F1} s");

var plain = new Viewer(users[0], false);
var operatorViewer = new Viewer("admin", true);
Console.WriteLine($"the plain user sees {catalog.Snapshot().OfUser(plain.UserId).NewestFirst.Count:N0}");
var stall = new StallLine(now - 3600);

// What each answer computes that grows with the index (its rows are the same 50 whatever the size).
int FirstPage(Viewer viewer)
{
    var visible = VisibleIndex.Of(catalog.Snapshot(), viewer);
    var window = visible.Window(TimeRange.All);
    var tally = RowTally.Over(window);
    var page = window.Take(51).ToList();
    return page.Count + tally.ByAgent.Keys.Order(StringComparer.OrdinalIgnoreCase).Count() + tally.ByUser.Keys.Order(StringComparer.Ordinal).Count()
           + tally.ByStatus.Keys.Order(StringComparer.Ordinal).Count();
}

var measures = new (string Name, Func<int> Run)[]
{
    ("running-agents all time, first page (operator)", () => FirstPage(operatorViewer)),
    ("running-agents all time, first page (plain user)", () => FirstPage(plain)),
    ("agent-stats all time (operator)", () => AgentStatsEndpoint.AllTime(VisibleIndex.Of(catalog.Snapshot(), operatorViewer), stall).TotalExecutions),
    ("timeline 168 h buckets (operator)", () =>
        TimelineCounts.InWindow(VisibleIndex.Of(catalog.Snapshot(), operatorViewer).Window(new TimeRange(now - 168 * 3600, double.PositiveInfinity)),
            DateTimeZone.Utc, false).Count),
};

static string Percentiles(List<double> ms)
{
    ms.Sort();
    double At(double p) => ms[Math.Clamp((int)Math.Ceiling(p * ms.Count) - 1, 0, ms.Count - 1)];
    return $"p50 {At(0.5):F3} ms, p99 {At(0.99):F3} ms ({ms.Count})";
}

foreach (var (name, run) in measures)
{
    for (var i = 0; i < 50; i++) run();
    var times = new List<double>(samples);
    for (var i = 0; i < samples; i++)
    {
        var t = Stopwatch.GetTimestamp();
        run();
        times.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
    }
    Console.WriteLine($"uncached      {name}: {Percentiles(times)}");
}

// One change per round, at the front where new executions arrive: a new run of the plain user, or a recent one of
// theirs that finishes. Each round times one answer, so no answer finds what another computed for that version.
var recent = new List<ExecutionSummary>();
var applies = new List<double>();
var after = measures.Select(_ => new List<double>()).ToArray();
for (var round = 0; round < changes * measures.Length; round++)
{
    ExecutionSummary next;
    if (round % 2 == 0 || recent.Count == 0)
    {
        next = Make(plain.UserId, now + round) with { Status = "running", Runtime = null, LatestError = null };
        recent.Add(next);
    }
    else
    {
        var previous = recent[random.Next(recent.Count)];
        next = previous with { Status = "finished", Runtime = random.Next(3600), LastTimestamp = previous.LastTimestamp + 1 };
    }
    var t = Stopwatch.GetTimestamp();
    catalog.Apply([new UpsertExecution(next, [], false)]);
    applies.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
    var measure = round % measures.Length;
    t = Stopwatch.GetTimestamp();
    measures[measure].Run();
    after[measure].Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
}
for (var m = 0; m < measures.Length; m++) Console.WriteLine($"after change  {measures[m].Name}: {Percentiles(after[m])}");
Console.WriteLine($"catalog apply of one change: {Percentiles(applies)}");
