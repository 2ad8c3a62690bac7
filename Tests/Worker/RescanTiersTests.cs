using Kodosumi.Indexer;
using Kodosumi.Indexer.Sources;
using Kodosumi.Indexer.Store;
using Kodosumi.Indexer.Worker;
using Kodosumi.Shared;
using Kodosumi.Shared.Model;
using Microsoft.Extensions.Options;

namespace Kodosumi.Tests.Worker;

/// <summary>
/// What a rescan looks at: hot executions every time, settled ones once per settled interval, each at its own point in
/// it and not before, and everything after a gap of a whole interval.
/// </summary>
[Category("Unit")]
public class RescanTiersTests
{
    const string User = "user-1";
    static readonly TimeSpan Rescan = TimeSpan.FromSeconds(30), Interval = TimeSpan.FromMinutes(10);
    static readonly long LongAgo = DateTime.UtcNow.AddHours(-1).Ticks;

    /// <summary>A clock that stands still until the test moves it.</summary>
    sealed class StillClock : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);
        public override DateTimeOffset GetUtcNow() => Now;
    }

    static SourceStamp Quiet => new()
    {
        FolderTicks = LongAgo, DatabaseLength = 8192, DatabaseTicks = LongAgo,
        WalLength = SourceStamp.None, WalTicks = SourceStamp.None,
        InputsTicks = SourceStamp.None, OutputsTicks = LongAgo,
    };

    static ExecutionSummary Settled(string fid) =>
        new() { Fid = fid, UserId = User, Status = ExecutionStatus.Finished, SourceStamp = Quiet };

    static string FidOf(int i) => $"{0x6b000000 + i:x8}0000000000{i:x6}";

    readonly StillClock _clock = new();

    RescanTiers Tiers(ExecutionCatalog catalog) => new(Options.Create(new IndexerOptions
    {
        SettledLookInterval = Interval,
        WatchFinishedFor = TimeSpan.FromMinutes(5),
    }), catalog, _clock);

    static ExecutionFolder Folder(string fid) => new("/root", User, fid);

    [Test]
    public void Only_a_cleanly_read_execution_whose_files_are_quiet_is_settled()
    {
        var quietSince = DateTime.UtcNow.AddMinutes(-5).Ticks;
        var settled = Settled(FidOf(1));
        Assert.Multiple(() =>
        {
            Assert.That(RescanTiers.IsSettled(settled, User, quietSince), Is.True);
            Assert.That(RescanTiers.IsSettled(settled with { Status = ExecutionStatus.Error }, User, quietSince), Is.True);
            Assert.That(RescanTiers.IsSettled(null, User, quietSince), Is.False, "not indexed yet");
            Assert.That(RescanTiers.IsSettled(settled, "user-2", quietSince), Is.False, "moved to another user");
            Assert.That(RescanTiers.IsSettled(settled with { Status = ExecutionStatus.Awaiting }, User, quietSince), Is.True,
                "a run awaiting a person for days: the watcher or the fast look covers it");
            Assert.That(RescanTiers.IsSettled(settled with { Problem = "no database yet" }, User, quietSince), Is.False);
            Assert.That(RescanTiers.IsSettled(settled with { Quarantine = new Quarantine { Reason = "locked" } }, User, quietSince), Is.False);
            Assert.That(RescanTiers.IsSettled(settled with { SourceStamp = null }, User, quietSince), Is.False);
            Assert.That(RescanTiers.IsSettled(settled with { SourceStamp = Quiet with { FolderTicks = SourceStamp.None } }, User, quietSince), Is.False,
                "a folder time not trusted yet");
            Assert.That(RescanTiers.IsSettled(settled with { SourceStamp = Quiet with { FolderTicks = SourceStamp.NoFolderPart } }, User, quietSince), Is.False,
                "a stamp of an older build");
            Assert.That(RescanTiers.IsSettled(settled with { SourceStamp = Quiet with { WalLength = 100, WalTicks = LongAgo, WalUnsettled = true } }, User, quietSince),
                Is.False, "a WAL being written");
            Assert.That(RescanTiers.IsSettled(settled with { SourceStamp = Quiet with { WalLength = 100, WalTicks = LongAgo } }, User, quietSince), Is.True,
                "a WAL a writer left behind long ago");
            Assert.That(RescanTiers.IsSettled(settled with { SourceStamp = Quiet with { OutputsTicks = DateTime.UtcNow.Ticks } }, User, quietSince), Is.False,
                "a file just written to out/");
            Assert.That(RescanTiers.IsSettled(settled with { SourceStamp = Quiet with { DatabaseTicks = DateTime.UtcNow.Ticks } }, User, quietSince), Is.False,
                "a database just written");
        });
    }

    [Test]
    public void Each_settled_execution_is_looked_at_once_per_interval_and_hot_ones_at_every_rescan()
    {
        var catalog = new ExecutionCatalog(new IndexEvents());
        var settled = Enumerable.Range(0, 2000).Select(FidOf).ToList();
        const string running = "6bffffff0000000000ffffff";
        var writing = Settled(running) with { Status = ExecutionStatus.Running, SourceStamp = Quiet with { DatabaseTicks = DateTime.UtcNow.Ticks } };
        catalog.Load([.. settled.Select(Settled), writing], []);
        const string unindexed = "6bfffffe0000000000fffffe";
        var folders = settled.Append(running).Append(unindexed).Select(Folder).ToList();
        var tiers = Tiers(catalog);

        Assert.That(tiers.Choose(folders, everything: true).Chosen, Has.Count.EqualTo(folders.Count), "the first rescan looks at everything");

        var looks = settled.ToDictionary(fid => fid, _ => new List<int>());
        var rescans = (int)(Interval / Rescan);
        for (var rescan = 1; rescan <= 2 * rescans; rescan++)
        {
            _clock.Now += Rescan;
            var chosen = tiers.Choose(folders, everything: false).Chosen.Select(f => f.Fid).ToList();
            Assert.That(chosen, Does.Contain(running).And.Contain(unindexed), "hot executions at every rescan");
            Assert.That(chosen, Has.Count.LessThan(3 * settled.Count / rescans), "a slice, not the whole tree");
            foreach (var fid in chosen.Where(looks.ContainsKey)) looks[fid].Add(rescan);
        }

        Assert.Multiple(() =>
        {
            foreach (var (fid, at) in looks)
            {
                Assert.That(at, Has.Count.EqualTo(2), $"{fid}: once in each interval");
                Assert.That(at[1] - at[0], Is.EqualTo(rescans), $"{fid}: at the same point of each interval, not before it is due");
            }
        });
    }

    [Test]
    public void After_a_whole_interval_without_a_rescan_every_settled_execution_is_looked_at()
    {
        var catalog = new ExecutionCatalog(new IndexEvents());
        var settled = Enumerable.Range(0, 100).Select(FidOf).ToList();
        catalog.Load(settled.Select(Settled), []);
        var folders = settled.Select(Folder).ToList();
        var tiers = Tiers(catalog);
        tiers.Choose(folders, everything: true);

        _clock.Now += Interval;
        Assert.That(tiers.Choose(folders, everything: false).Chosen, Has.Count.EqualTo(settled.Count));
    }

    [Test]
    public void A_choice_counts_the_indexed_executions_its_listing_holds_under_their_user()
    {
        var catalog = new ExecutionCatalog(new IndexEvents());
        var indexed = Enumerable.Range(0, 10).Select(FidOf).ToList();
        catalog.Load(indexed.Select(Settled), []);
        var tiers = Tiers(catalog);
        var everyOne = indexed.Select(Folder).ToList();
        var oneGone = everyOne.Skip(1).Append(Folder("6bfffffe0000000000fffffe")).ToList();
        var oneMoved = everyOne.Skip(1).Append(new ExecutionFolder("/root", "user-2", indexed[0])).ToList();

        Assert.Multiple(() =>
        {
            Assert.That(tiers.Choose(everyOne, everything: true).IndexedAsListed, Is.EqualTo(catalog.Count), "nothing to remove");
            Assert.That(tiers.Choose(oneGone, everything: false).IndexedAsListed, Is.EqualTo(catalog.Count - 1),
                "one indexed execution is not listed, though the listing is as long as the index");
            var moved = tiers.ChooseUnverified(oneMoved, new HashSet<string>());
            Assert.That(moved.IndexedAsListed, Is.EqualTo(catalog.Count - 1), "listed under another user: looked for among the removals");
            Assert.That(moved.Chosen.Select(f => f.Fid), Is.EqualTo(new[] { indexed[0] }), "and folded under its new user");
        });
    }
}
