using Kodosumi.Shared;
using Kodosumi.Shared.Model;

namespace Kodosumi.Tests.Folding;

[Category("Unit")]
public class SummaryFoldTests
{
    static readonly ExecutionSummary Empty = new() { Fid = "6b0d549b6f03475a9600a35a", UserId = "u" };

    static MonitorRow Row(long id, double t, string kind, string? message = null) => new(id, t, kind, message);

    [Test]
    public void Latest_status_is_chosen_by_timestamp_then_id_not_by_arrival()
    {
        var result = SummaryFold.Fold(Empty,
        [
            Row(1, 10, "status", "starting"),
            Row(2, 30, "status", "finished"),
            Row(3, 20, "status", "running"), // written later, but happened earlier
            Row(4, 30, "status", "error"),   // same time as "finished", higher id wins
        ]);
        Assert.That(result.Summary.Status, Is.EqualTo("error"));
    }

    [Test]
    public void Latest_status_holds_across_incremental_folds()
    {
        var first = SummaryFold.Fold(Empty, [Row(1, 50, "status", "finished")]).Summary;
        var second = SummaryFold.Fold(first, [Row(2, 40, "status", "running")]).Summary;
        Assert.That(second.Status, Is.EqualTo("finished"));
        Assert.That(second.LastFoldedId, Is.EqualTo(2));
    }

    [Test]
    public void Meta_names_the_agent_with_and_without_the_dict_wrapper()
    {
        var wrapped = SummaryFold.Fold(Empty, [Row(1, 1, "meta", """{"dict": {"summary": "Hymn Creator", "entry_point": "a:b", "tags": ["x", "y"]}}""")]).Summary;
        var bare = SummaryFold.Fold(Empty, [Row(1, 1, "meta", """{"entry_point": "pkg.app:fast_app", "summary": null}""")]).Summary;
        var none = SummaryFold.Fold(Empty, [Row(1, 1, "meta", """{"dict": {}}""")]).Summary;
        Assert.Multiple(() =>
        {
            Assert.That(wrapped.AgentName, Is.EqualTo("Hymn Creator"));
            Assert.That(wrapped.Tags, Is.EqualTo(new[] { "x", "y" }));
            Assert.That(wrapped.MetaJson?.ToString(), Does.Contain("entry_point").And.Not.Contain("dict"));
            Assert.That(bare.AgentName, Is.EqualTo("pkg.app:fast_app"));
            Assert.That(none.AgentName, Is.EqualTo("Unknown"));
        });
    }

    [Test]
    public void The_first_valid_meta_wins_and_invalid_json_becomes_a_warning()
    {
        var s = SummaryFold.Fold(Empty,
        [
            Row(1, 1, "meta", "{not json"),
            Row(2, 2, "meta", """{"summary": "First"}"""),
            Row(3, 3, "meta", """{"summary": "Second"}"""),
        ]).Summary;
        Assert.That(s.AgentName, Is.EqualTo("First"));
        Assert.That(s.Warning, Does.Contain("event 1"));
        Assert.That(s.EventCount, Is.EqualTo(3));
    }

    [Test]
    public void Errors_are_counted_kept_and_the_latest_by_time_is_shown()
    {
        var result = SummaryFold.Fold(Empty,
        [
            Row(1, 10, "error", "Traceback: first"),
            Row(2, 5, "error", """{"error": "earlier in time"}"""),
            Row(3, 12, "stdout", "noise"),
        ]);
        Assert.Multiple(() =>
        {
            Assert.That(result.Summary.ErrorCount, Is.EqualTo(2));
            Assert.That(result.Summary.LatestError, Is.EqualTo("Traceback: first"));
            Assert.That(result.Summary.LatestErrorTimestamp, Is.EqualTo(10));
            Assert.That(result.Summary.HasError, Is.True);
            Assert.That(result.Errors.Select(e => e.EventId), Is.EqualTo(new long[] { 1, 2 }));
            Assert.That(result.Errors.Select(e => e.Id).Distinct().Count(), Is.EqualTo(2));
        });
    }

    [Test]
    public void Runtime_is_the_last_timestamp_minus_the_first()
    {
        var first = SummaryFold.Fold(Empty, [Row(1, 100.5, "status", "starting"), Row(2, 110, "stdout", "x")]).Summary;
        var second = SummaryFold.Fold(first, [Row(3, 160.25, "status", "finished")]).Summary;
        Assert.Multiple(() =>
        {
            Assert.That(first.Runtime, Is.EqualTo(9.5));
            Assert.That(second.Runtime, Is.EqualTo(59.75));
            Assert.That(second.FirstTimestamp, Is.EqualTo(100.5));
            Assert.That(second.EventCount, Is.EqualTo(3));
        });
    }

    [Test]
    public void An_execution_that_restarts_shows_its_latest_state_and_keeps_its_errors()
    {
        var s = SummaryFold.Fold(Empty,
        [
            Row(1, 1, "status", "starting"),
            Row(2, 2, "status", "running"),
            Row(3, 3, "error", "boom"),
            Row(4, 4, "status", "error"),
            Row(5, 10, "status", "starting"),
            Row(6, 11, "status", "running"),
            Row(7, 20, "status", "finished"),
        ]).Summary;
        Assert.Multiple(() =>
        {
            Assert.That(s.Status, Is.EqualTo("finished"));
            Assert.That(s.ErrorCount, Is.EqualTo(1));
            Assert.That(s.LatestError, Is.EqualTo("boom"));
            Assert.That(s.Runtime, Is.EqualTo(19));
        });
    }

    [Test]
    public void Replaying_rows_already_folded_changes_nothing()
    {
        var rows = new[] { Row(1, 1, "status", "running"), Row(2, 2, "error", "x"), Row(3, 3, "status", "error") };
        var once = SummaryFold.Fold(Empty, rows);
        var again = SummaryFold.Fold(once.Summary, rows);
        Assert.That(again.Summary with { Tags = once.Summary.Tags }, Is.EqualTo(once.Summary));
        Assert.That(again.Errors, Is.Empty);
    }

    [Test]
    public void Invalid_utf8_and_unknown_kinds_are_counted_with_a_warning()
    {
        var s = SummaryFold.Fold(Empty, [new MonitorRow(1, 1, "stdout", "bad \uFFFD", MessageWasInvalidUtf8: true), Row(2, 2, "lease", null)]).Summary;
        Assert.That(s.EventCount, Is.EqualTo(2));
        Assert.That(s.Warning, Does.Contain("UTF-8"));
        Assert.That(s.Status, Is.Null);
    }
}
