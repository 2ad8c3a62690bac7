using Kodosumi.Indexer.Store;
using Kodosumi.Shared.Model;

namespace Kodosumi.Tests.Store;

/// <summary>The events the catalog announces as it applies changes, and the bounded ring they are resumed from.</summary>
[Category("Unit")]
public class IndexEventsTests
{
    const string Fid = "6b05909d8cdccfd0d55eba2e";

    static ExecutionSummary Summary(string status, string fid = Fid, long lastId = 1) =>
        new() { Fid = fid, UserId = "u1", AgentName = "Agent", Status = status, LastFoldedId = lastId, StatusTimestamp = lastId };

    static ErrorEvent Error(long id) => new() { Id = ErrorEvent.KeyOf(Fid, id), Fid = Fid, UserId = "u1", EventId = id, Timestamp = id };

    [Test]
    public void New_executions_status_changes_errors_and_removals_are_announced_in_order()
    {
        var catalog = new ExecutionCatalog(new IndexEvents(64));
        catalog.Apply([new UpsertExecution(Summary("running"), [], false)]);
        catalog.Apply([new UpsertExecution(Summary("running", lastId: 2), [], false)]); // nothing a client sees changed
        catalog.Apply([new UpsertExecution(Summary("error", lastId: 4), [Error(3)], false)]);
        catalog.Apply([new UpsertExecution(Summary("error", lastId: 4), [Error(3)], false)]); // a replayed batch: no new error
        catalog.Apply([new RemoveExecution(Fid), new RemoveExecution("000000000000000000000000")]);

        var (events, _) = catalog.Events.Read(0);
        Assert.That(events!.Select(e => (e.Sequence, e.Type)), Is.EqualTo(new[]
        {
            (1L, IndexEvent.Execution), (2L, IndexEvent.StatusChanged), (3L, IndexEvent.Error), (4L, IndexEvent.Removed),
        }));
        Assert.That(events![1].PreviousStatus, Is.EqualTo("running"));
        Assert.That(events[2].ErrorEventId, Is.EqualTo(3));
        Assert.That(catalog.Events.Read(2).Events!.Select(e => e.Sequence), Is.EqualTo(new[] { 3L, 4L }));
        Assert.That(catalog.Events.Read(4).Events, Is.Empty);
        Assert.That(catalog.Events.Read(5).Events, Is.Null, "an id this run never sent");
    }

    [Test]
    public void The_ring_keeps_the_newest_events_and_refuses_a_resume_older_than_them()
    {
        var catalog = new ExecutionCatalog(new IndexEvents(16));
        var statuses = new[] { "starting", "running" };
        for (var i = 0; i < 40; i++) catalog.Apply([new UpsertExecution(Summary(statuses[i % 2], lastId: i + 1), [], false)]);

        Assert.That(catalog.Events.LastSequence, Is.EqualTo(40));
        Assert.That(catalog.Events.Read(23).Events, Is.Null, "event 24 has left the ring");
        Assert.That(catalog.Events.Read(24).Events!.Select(e => e.Sequence), Is.EqualTo(Enumerable.Range(25, 16).Select(i => (long)i)));
        Assert.That(catalog.Events.Read(39).Events!.Single().Status, Is.EqualTo("running"));
    }

    [Test]
    public void Replacing_the_catalog_as_a_whole_announces_a_reset()
    {
        var catalog = new ExecutionCatalog(new IndexEvents());
        catalog.Apply([new UpsertExecution(Summary("running"), [], false)]);
        var (_, next) = catalog.Events.Read(1);
        catalog.Load([Summary("starting")], []);
        Assert.That(next.IsCompleted, "waiting streams are woken");
        Assert.That(catalog.Events.Read(1).Events!.Select(e => e.Type), Is.EqualTo(new[] { IndexEvent.Reset }));
    }

    [Test]
    public async Task A_waiting_reader_is_woken_by_the_next_applied_batch()
    {
        var catalog = new ExecutionCatalog(new IndexEvents());
        var (events, next) = catalog.Events.Read(0);
        Assert.That(events, Is.Empty);
        Assert.That(next.IsCompleted, Is.False);
        catalog.Apply([new UpsertExecution(Summary("running"), [], false)]);
        await next.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.That(catalog.Events.Read(0).Events, Has.Count.EqualTo(1));
    }
}
