using Kodosumi.Api.Features.Dashboard;
using Kodosumi.Api.Features.Dashboard.Stalls;
using Kodosumi.Api.Features.Dashboard.Timeline;
using Kodosumi.Indexer.Store;
using Kodosumi.Shared;
using Kodosumi.Shared.Model;
using NodaTime;

namespace Kodosumi.Tests.Api;

/// <summary>
/// What the dashboard combines from per-chunk values (tallies, timeline buckets, the kept runtime and silence
/// orders) equals what a direct pass over the same rows computes, for windows that cut chunks anywhere, and again
/// after changes replaced some chunks.
/// </summary>
[Category("Unit")]
public class ChunkedAggregatesTests
{
    static readonly string[] Statuses = ["running", "finished", "error", "starting", "awaiting"];
    static readonly string[] Agents = ["Hymn", "Seo", "Prime", "hymn"];
    static readonly string[] Users = ["u1", "u2", "u3"];

    static ExecutionSummary Make(Random random, string fid, double now) => new()
    {
        Fid = fid,
        UserId = Users[random.Next(Users.Length)],
        AgentName = Agents[random.Next(Agents.Length)],
        Status = random.Next(12) == 0 ? null : Statuses[random.Next(Statuses.Length)],
        FirstTimestamp = now - random.Next(40 * 86400),
        LastTimestamp = random.Next(20) == 0 ? null : now - random.Next(3 * 86400),
        Runtime = random.Next(6) == 0 ? null : random.Next(4) == 0 ? 0 : random.Next(5000) / 8.0,
        LatestError = random.Next(7) == 0 ? "boom" : null,
        Problem = random.Next(30) == 0 ? "locked" : null,
    };

    static CatalogScope ScopeAfterChanges(int seed, out List<ExecutionSummary> rows, int executions = 10_000)
    {
        var random = new Random(seed);
        const double now = 1.8e9;
        var fids = Enumerable.Range(0, executions * 6 / 5).Select(_ => Fids.New(DateTimeOffset.FromUnixTimeSeconds(1_700_000_000 + random.Next(10_000_000)), random)).ToList();
        var catalog = new ExecutionCatalog(new IndexEvents(16));
        catalog.Load(fids.Take(executions).Select(f => Make(random, f, now)), []);
        for (var round = 0; round < 5; round++)
            Apply([.. Enumerable.Range(0, 300).Select(_ => fids[random.Next(fids.Count)])
                .Select(f => random.Next(5) == 0 ? (IndexChange)new RemoveExecution(f) : new UpsertExecution(Make(random, f, now), [], false))]);
        // New executions arrive at the front, newest first (its first chunk splits), and many of them go again (chunks merge).
        var arrivals = Enumerable.Range(0, 2500).Select(i => Make(random, Fids.New(DateTimeOffset.FromUnixTimeSeconds(1_800_000_000 + i), random), now) with { FirstTimestamp = now + i }).ToList();
        Apply([.. arrivals.Select(s => new UpsertExecution(s, [], false))]);
        Apply([.. arrivals.Where((_, i) => i % 5 != 0).Select(s => new RemoveExecution(s.Fid))]);
        var scope = catalog.Snapshot().All;
        rows = [.. scope.NewestFirst];
        return scope;

        // Each version's tallies are kept before the next: the next version reuses those of the chunks and groups it shares.
        void Apply(IReadOnlyList<IndexChange> changes)
        {
            RowTally.Of(catalog.Snapshot().All.NewestFirst);
            catalog.Apply(changes);
        }
    }

    [TestCase(1, 10_000)]
    [TestCase(2, 120_000)]
    public void Tallies_of_any_window_equal_a_direct_count(int seed, int executions)
    {
        var scope = ScopeAfterChanges(seed, out var rows, executions);
        if (executions > 100_000) Assert.That(scope.NewestFirst.Groups, Has.Count.GreaterThan(2), "windows span whole groups of chunks");
        var random = new Random(seed);
        for (var probe = 0; probe < 40; probe++)
        {
            var start = random.Next(rows.Count);
            var end = probe == 0 ? rows.Count : Math.Min(rows.Count, start + random.Next(probe % 2 == 0 ? 4000 : rows.Count));
            if (probe == 0) start = 0;
            var window = rows.GetRange(start, end - start);
            var tally = RowTally.Over(scope.NewestFirst.Range(start, end));

            Assert.That(tally.Total, Is.EqualTo(window.Count));
            Assert.That(tally.ByStatus, Is.EqualTo(window.CountBy(ExecutionRow.StatusOf).ToDictionary()));
            Assert.That(tally.ByStatus.Keys, Is.EqualTo(window.Select(ExecutionRow.StatusOf).Distinct()), "statuses in the order they first appear");
            Assert.That(tally.ByUser.Keys, Is.EqualTo(window.Select(s => s.UserId).Distinct()));
            Assert.That(tally.ByAgent, Is.EqualTo(window.CountBy(s => s.AgentName).ToDictionary()));
            Assert.That(tally.ByAgent.Keys, Is.EqualTo(window.Select(s => s.AgentName).Distinct()));
            Assert.That(tally.Active, Is.EqualTo(window.Count(s => ExecutionStatus.IsActive(s.Status))));
            Assert.That(tally.WithProblems, Is.EqualTo(window.Count(s => s.Problem is not null)));
            Assert.That(tally.WithErrorEvent, Is.EqualTo(window.Count(s => !string.IsNullOrEmpty(s.LatestError))));
            var measured = window.Where(s => s.Runtime is not null and not 0).Select(s => s.Runtime!.Value).ToList();
            Assert.That(tally.MeanRuntime, Is.EqualTo(measured.Count == 0 ? 0 : measured.Average()).Within(1e-9));
        }
    }

    [Test]
    public void Kept_runtime_orders_give_the_exact_nearest_rank_percentiles()
    {
        var scope = ScopeAfterChanges(3, out var rows);
        var sorted = rows.Where(s => s.Runtime is not null).Select(s => s.Runtime!.Value).Order().ToArray();
        Assert.That(RuntimePercentiles.OfSorted(scope.Runtimes), Is.EqualTo(RuntimePercentiles.OfSorted(sorted)));
        foreach (var agent in rows.Select(s => s.AgentName).Distinct())
            Assert.That(RuntimePercentiles.OfSorted(scope.RuntimesByAgent[agent]), Is.EqualTo(RuntimePercentiles.Of(rows.Where(s => s.AgentName == agent))));
    }

    [TestCase("UTC", false)]
    [TestCase("Europe/Berlin", true)]
    [TestCase("America/St_Johns", false)]
    public void Timeline_buckets_joined_over_chunks_equal_one_pass_over_the_window(string zone, bool days)
    {
        var scope = ScopeAfterChanges(4, out var rows);
        var tz = DateTimeZoneProviders.Tzdb[zone];
        var random = new Random(4);
        for (var probe = 0; probe < 10; probe++)
        {
            var start = probe == 0 ? 0 : random.Next(rows.Count);
            var end = probe == 0 ? rows.Count : Math.Min(rows.Count, start + random.Next(5000));
            // Twice: the second answer comes from the buckets kept on the chunks.
            for (var again = 0; again < 2; again++)
            {
                var joined = TimelineCounts.InWindow(scope.NewestFirst.Range(start, end), tz, days);
                var direct = TimelineCounts.Count(rows.GetRange(start, end - start).ToArray(), new TimeBuckets(tz, days));
                Assert.That(joined.Select(b => (b.Start, b.End, b.Total)), Is.EqualTo(direct.Select(b => (b.Start, b.End, b.Total))));
                Assert.That(joined.Select(b => b.Counts), Is.EqualTo(direct.Select(b => b.Counts)));
            }
        }
    }

    [Test]
    public void Stalled_runs_are_a_range_of_the_working_runs_by_silence()
    {
        var scope = ScopeAfterChanges(5, out var rows);
        foreach (var (before, now) in new[] { (1.8e9 - 86400, 1.8e9 - 3600), (double.NegativeInfinity, 1.8e9), (1.8e9, 1.8e9 - 100) })
        {
            var (was, line) = (new StallLine(before), new StallLine(now));
            Assert.That(SilentRuns.CountStalled(scope, line), Is.EqualTo(rows.Count(line.IsStalled)));
            Assert.That(SilentRuns.Crossed(scope, was, line).Select(s => s.Fid).Order(),
                Is.EqualTo(rows.Where(s => line.IsStalled(s) && !was.IsStalled(s)).Select(s => s.Fid).Order()));
        }
    }
}
