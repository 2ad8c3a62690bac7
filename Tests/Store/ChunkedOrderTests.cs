using Kodosumi.Indexer.Store;
using Kodosumi.Shared;
using Kodosumi.Shared.Model;

namespace Kodosumi.Tests.Store;

/// <summary>
/// The catalog's chunked orders against a plain sort of the same items: under random inserts, updates and
/// removes (seeded), every version lists what the sort lists, finds what a linear search finds, and keeps its
/// chunks within bounds while sharing those no edit touched.
/// </summary>
[Category("Unit")]
public class ChunkedOrderTests
{
    static void AssertSameAs<T>(ChunkedOrder<T> order, List<T> oracle)
    {
        Assert.That(order, Is.EqualTo(oracle), "the order lists the sorted items");
        Assert.That(order, Has.Count.EqualTo(oracle.Count));
        if (oracle.Count > 0)
        {
            var at = oracle.Count / 3;
            Assert.That(order[at], Is.EqualTo(oracle[at]), "the indexer reads across chunks");
            Assert.That(order[^1], Is.EqualTo(oracle[^1]));
        }
        Assert.That(order.Chunks.All(c => c.Count is > 0 and <= ChunkedOrder<T>.MaxChunk), "no chunk is empty or oversized");
        if (order.Chunks.Count > 1)
            Assert.That(order.Chunks.All(c => c.Count >= ChunkedOrder<T>.MinChunk), "a chunk that shrank was merged");
        Assert.That(order.Groups.SelectMany(g => g.Chunks), Is.EqualTo(order.Chunks), "the groups hold the chunks in order");
        Assert.That(order.Groups.All(g => g.Chunks.Count is > 0 and <= ChunkedOrder<T>.MaxGroup), "no group is empty or oversized");
        if (order.Groups.Count > 1)
            Assert.That(order.Groups.All(g => g.Chunks.Count >= ChunkedOrder<T>.MinGroup), "a group that shrank was merged");
    }

    /// <summary>A value kept on chunks and groups: how many items, their sum, and the first and last.</summary>
    sealed record Sum(long Count, long Total, int First, int Last)
    {
        public static Sum Of(ReadOnlySpan<int> items)
        {
            long total = 0;
            foreach (var item in items) total += item;
            return new(items.Length, total, items[0], items[^1]);
        }

        public static Sum Joined(IReadOnlyList<Sum> parts) =>
            new(parts.Sum(p => p.Count), parts.Sum(p => p.Total), parts[0].First, parts[^1].Last);
    }

    [TestCase(4)]
    [TestCase(5)]
    public void Sums_kept_on_groups_and_chunks_equal_a_recount_in_every_version(int seed)
    {
        var random = new Random(seed);
        // Distinct items, as the catalog's are (an equal item in two chunks is removed from the first only).
        var oracle = Enumerable.Range(0, 150_000).Select(_ => random.Next(500_000, 5_000_000) * 2).Distinct().Order().ToList();
        var order = ChunkedOrder<int>.OfSorted(oracle.ToArray(), Comparer<int>.Default);
        Assert.That(order.Groups, Has.Count.GreaterThan(2));
        for (var round = 0; round < 40; round++)
        {
            var edits = new List<OrderEdit<int>>();
            switch (random.Next(5))
            {
                case 3 when order.Groups.Count > 1:
                    // A group's last chunk shrinks to a few items: they join the next group's first chunk.
                    var group = random.Next(order.Groups.Count - 1);
                    var groupEnd = order.Groups.Take(group + 1).Sum(g => g.Chunks.Sum(c => c.Count));
                    var left = random.Next(1, ChunkedOrder<int>.MinChunk);
                    edits.AddRange(oracle.Skip(groupEnd - order.Groups[group].Chunks[^1].Count + left).Take(order.Groups[group].Chunks[^1].Count - left)
                        .Select(item => new OrderEdit<int>(item, false)));
                    break;
                case 0:
                    // Arrivals at the front, as new executions arrive newest first: the first chunk splits, its group grows.
                    for (var i = 0; i < random.Next(1, 3000); i++) edits.Add(new(oracle[0] - 1 - i, true));
                    break;
                case 1:
                    // A stretch removed: chunks shrink and merge, maybe across a group's edge.
                    var from = random.Next(oracle.Count);
                    edits.AddRange(oracle.Skip(from).Take(random.Next(1, 20_000)).Select(item => new OrderEdit<int>(item, false)));
                    break;
                case 2:
                    // The last items removed: the last chunk joins the one before it.
                    edits.AddRange(oracle.Skip(oracle.Count - random.Next(1, 1500)).Select(item => new OrderEdit<int>(item, false)));
                    break;
                default:
                    for (var i = 0; i < random.Next(1, 20); i++)
                    {
                        var item = random.Next(2) == 0 ? oracle[random.Next(oracle.Count)] : random.Next(1_000_000, 10_000_000) * 2 + 1;
                        if (!edits.Any(e => e.Item == item)) edits.Add(new(item, oracle.BinarySearch(item) < 0));
                    }
                    break;
            }
            foreach (var (item, added) in edits)
            {
                if (added) oracle.Insert(IndexOf(oracle, item), item);
                else if (oracle.BinarySearch(item) is var at and >= 0) oracle.RemoveAt(at);
            }
            var next = order.With(edits);
            AssertSameAs(next, oracle);
            if (edits.Count < 20 && order.Groups.Count > 4)
                Assert.That(next.Groups.Intersect(order.Groups).Count(), Is.GreaterThanOrEqualTo(order.Groups.Count - edits.Count - 2),
                    "untouched groups are shared between versions");
            order = next;
            for (var probe = 0; probe < 20; probe++)
            {
                var start = probe == 0 ? 0 : random.Next(oracle.Count);
                var end = probe == 0 ? oracle.Count : Math.Min(oracle.Count, start + random.Next(oracle.Count));
                if (start >= end) continue;
                var parts = order.Parts(start, end, typeof(Sum), Sum.Of, Sum.Joined).ToList();
                var window = oracle.GetRange(start, end - start);
                Assert.That(Sum.Joined(parts), Is.EqualTo(new Sum(window.Count, window.Sum(x => (long)x), window[0], window[^1])));
                if (probe == 0) Assert.That(parts, Has.Count.LessThanOrEqualTo(order.Groups.Count), "the whole order is its groups' sums");
            }
        }
    }

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    public void Random_edits_keep_the_order_a_sort_gives(int seed)
    {
        var random = new Random(seed);
        var comparer = Comparer<int>.Default;
        var oracle = Enumerable.Range(0, 5000).Select(_ => random.Next(100_000)).Order().ToList();
        var order = ChunkedOrder<int>.OfSorted(oracle.ToArray(), comparer);
        AssertSameAs(order, oracle);
        for (var round = 0; round < 60; round++)
        {
            // Some batches grow or empty a stretch, so chunks split and merge; duplicates are allowed.
            var edits = new List<OrderEdit<int>>();
            var batch = random.Next(3) == 0 ? 2000 : random.Next(1, 40);
            var removing = random.Next(2) == 0;
            for (var i = 0; i < batch; i++)
            {
                if (removing && oracle.Count > 0 && random.Next(4) != 0)
                {
                    var item = oracle[random.Next(oracle.Count)];
                    oracle.Remove(item);
                    edits.Add(new(item, false));
                }
                else
                {
                    var item = random.Next(3) == 0 ? 40_000 + random.Next(300) : random.Next(100_000);
                    oracle.Insert(IndexOf(oracle, item), item);
                    edits.Add(new(item, true));
                }
            }
            var next = order.With(edits);
            AssertSameAs(next, oracle);
            if (batch < 10 && order.Chunks.Count > 10)
                Assert.That(next.Chunks.Intersect(order.Chunks).Count(), Is.GreaterThanOrEqualTo(order.Chunks.Count - 2 * batch - 1),
                    "untouched chunks are shared between versions");
            order = next;
        }
        for (var probe = 0; probe < 200; probe++)
        {
            var edge = random.Next(110_000);
            Assert.That(order.CountWhile(x => x < edge), Is.EqualTo(oracle.Count(x => x < edge)), "a prefix is found by binary search");
        }
    }

    [Test]
    public void Removing_everything_and_adding_again_works_from_empty()
    {
        var order = ChunkedOrder<int>.Empty(Comparer<int>.Default);
        order = order.With([new(3, true), new(1, true), new(2, true)]);
        Assert.That(order, Is.EqualTo(new[] { 1, 2, 3 }));
        order = order.With([new(1, false), new(2, false), new(3, false), new(7, false)]);
        Assert.That(order, Is.Empty);
        Assert.That(order.Chunks, Is.Empty);
        Assert.That(order.With([new(5, true)]), Is.EqualTo(new[] { 5 }));
    }

    [Test]
    public void Pieces_of_a_range_cover_it_once_with_at_most_two_partial_chunks()
    {
        var order = ChunkedOrder<int>.OfSorted(Enumerable.Range(0, 10_000).ToArray(), Comparer<int>.Default);
        foreach (var (start, end) in new[] { (0, 10_000), (17, 9_999), (1500, 1600), (0, 0), (9_000, 20_000), (5_000, 4_000) })
        {
            var pieces = order.Pieces(start, end).ToList();
            var items = pieces.SelectMany(p => p.Span.ToArray()).ToList();
            Assert.That(items, Is.EqualTo(Enumerable.Range(start, Math.Max(0, Math.Min(end, 10_000) - start))));
            Assert.That(pieces.Count(p => !p.IsWhole), Is.LessThanOrEqualTo(2));
            Assert.That(order.Range(start, Math.Min(end, 10_000)).Skip(5), Is.EqualTo(items.Skip(5)));
        }
    }

    [Test]
    public void The_catalog_scopes_match_a_sort_of_the_summaries_after_random_changes()
    {
        var random = new Random(5);
        var catalog = new ExecutionCatalog(new IndexEvents(64));
        string[] users = ["6b0d549b-6f03-475a-9600-a35a099950d8", "1F6E2A3B-4C5D-4E6F-8A9B-0C1D2E3F4A5B", "1f6e2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b"];
        string[] statuses = ["running", "finished", "error", "starting", "awaiting"];
        ExecutionSummary Make(string fid, double start) => new()
        {
            Fid = fid, UserId = users[random.Next(users.Length)], AgentName = "agent" + random.Next(4), Status = statuses[random.Next(statuses.Length)],
            FirstTimestamp = random.Next(10) == 0 ? null : start, LastTimestamp = random.Next(10) == 0 ? double.NaN : start + random.Next(100),
            Runtime = random.Next(5) == 0 ? null : random.Next(50), EventCount = random.Next(100),
        };
        var fids = Enumerable.Range(0, 3000).Select(i => Fids.New(DateTimeOffset.UnixEpoch.AddDays(20_000 + random.Next(300)), random)).ToList();
        catalog.Load(fids.Take(2000).Select(f => Make(f, 1.7e9 + random.Next(1_000_000))),
            fids.Take(50).Select(f => new ErrorEvent { Fid = f, UserId = users[0], EventId = 1, Timestamp = random.Next(100), Message = "x" }));
        for (var round = 0; round < 30; round++)
        {
            var changes = new List<IndexChange>();
            for (var i = 0; i < random.Next(1, 50); i++)
            {
                var fid = fids[random.Next(fids.Count)];
                changes.Add(random.Next(6) == 0
                    ? new RemoveExecution(fid)
                    : new UpsertExecution(Make(fid, 1.7e9 + random.Next(1_000_000)),
                        [new ErrorEvent { Fid = fid, UserId = users[1], EventId = random.Next(3), Timestamp = random.Next(100), Message = "y" }],
                        random.Next(8) == 0));
            }
            catalog.Apply(changes);
            var snapshot = catalog.Snapshot();
            var every = fids.Select(catalog.Find).OfType<ExecutionSummary>().ToList();
            AssertScope(snapshot.All, every);
            Assert.That(snapshot.All.ErrorsNewestFirst.All(e => every.Any(s => s.Fid == e.Fid)), "no error of a removed execution");
            foreach (var user in users)
            {
                AssertScope(snapshot.OfUser(user), [.. every.Where(s => string.Equals(s.UserId, user, StringComparison.OrdinalIgnoreCase))]);
                Assert.That(snapshot.OfUser(user).ErrorsNewestFirst,
                    Is.EqualTo(snapshot.All.ErrorsNewestFirst.Where(e => string.Equals(e.UserId, user, StringComparison.OrdinalIgnoreCase))));
            }
        }
    }

    /// <summary>
    /// A catalog loaded from an empty index (a cold index) builds its orders once when the worker says the first scan is
    /// written, not batch by batch: then they equal a sort of what was applied, under a version no earlier answer holds.
    /// </summary>
    [Test]
    public void After_an_empty_load_the_orders_are_built_once_when_kept_and_match_a_sort()
    {
        var random = new Random(9);
        var catalog = new ExecutionCatalog(new IndexEvents(64));
        catalog.Load([], []);
        var fids = Enumerable.Range(0, 3000).Select(i => Fids.New(DateTimeOffset.UnixEpoch.AddDays(20_000 + random.Next(300)), random)).ToList();
        foreach (var batch in fids.Chunk(700))
            catalog.Apply([.. batch.Select(fid => new UpsertExecution(new ExecutionSummary
            {
                Fid = fid, UserId = "u" + random.Next(3), AgentName = "agent" + random.Next(4), Status = random.Next(3) == 0 ? "running" : "finished",
                FirstTimestamp = 1.7e9 + random.Next(1_000_000), LastTimestamp = 1.7e9 + random.Next(1_000_000), Runtime = random.Next(50),
            }, [], Refolded: false))]);
        catalog.Apply([new RemoveExecution(fids[0])]);
        var deferred = catalog.Snapshot();
        Assert.That(deferred.All.NewestFirst, Is.Empty, "no order is edited while the first scan fills the index");

        catalog.KeepOrders();
        var kept = catalog.Snapshot();
        Assert.That(kept.Version, Is.GreaterThan(deferred.Version));
        var every = fids.Select(catalog.Find).OfType<ExecutionSummary>().ToList();
        Assert.That(every, Has.Count.EqualTo(fids.Count - 1));
        AssertScope(kept.All, every);
        AssertScope(kept.OfUser("u1"), [.. every.Where(s => s.UserId == "u1")]);

        catalog.Apply([new RemoveExecution(fids[1])]);
        Assert.That(catalog.Snapshot().All.NewestFirst, Has.Count.EqualTo(fids.Count - 2), "kept batch by batch from then on");
    }

    static void AssertScope(CatalogScope scope, List<ExecutionSummary> summaries)
    {
        Assert.That(scope.NewestFirst, Is.EqualTo(summaries.Order(CatalogScope.Newest)));
        var runtimes = summaries.Where(s => s.Runtime is not null).Select(s => s.Runtime!.Value).Order();
        Assert.That(scope.Runtimes, Is.EqualTo(runtimes));
        Assert.That(scope.RuntimesByAgent.Keys.Order(), Is.EqualTo(summaries.Where(s => s.Runtime is not null).Select(s => s.AgentName).Distinct().Order()));
        foreach (var (agent, order) in scope.RuntimesByAgent)
            Assert.That(order, Is.EqualTo(summaries.Where(s => s.AgentName == agent && s.Runtime is not null).Select(s => s.Runtime!.Value).Order()));
        Assert.That(scope.WorkingBySilence, Is.EqualTo(summaries.Where(s => ExecutionStatus.IsWorking(s.Status)).Order(CatalogScope.Silence)));
        Assert.That(scope.ErrorsNewestFirst, Is.Ordered.Using(CatalogScope.NewestError));
    }

    static int IndexOf(List<int> sorted, int item)
    {
        var at = sorted.BinarySearch(item);
        return at < 0 ? ~at : at;
    }
}
