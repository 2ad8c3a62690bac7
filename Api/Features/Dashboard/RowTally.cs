using Kodosumi.Indexer.Store;
using Kodosumi.Shared;
using Kodosumi.Shared.Model;

namespace Kodosumi.Api.Features.Dashboard;

/// <summary>
/// Counts over a stretch of one viewer's executions, newest first: per status, user and agent (each in the order it
/// first appears), and what the statistics add up. A whole chunk's tally is kept on the chunk and a whole group's on the
/// group, so a stretch costs tens of kept tallies plus the rows of at most two partial chunks, and a new catalog version
/// recounts only the chunks and groups it replaced.
/// </summary>
public sealed class RowTally
{
    public int Total { get; private set; }
    public Dictionary<string, int> ByStatus { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, int> ByUser { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, int> ByAgent { get; } = new(StringComparer.Ordinal);
    /// <summary>Starting, running or awaiting.</summary>
    public int Active { get; private set; }
    public int WithProblems { get; private set; }
    /// <summary>Executions whose latest error event has text (Kodosumi's failed executions).</summary>
    public int WithErrorEvent { get; private set; }
    /// <summary>Runtimes known and not 0, which Kodosumi's mean leaves out.</summary>
    public int MeasuredRuntimes { get; private set; }
    public double MeasuredRuntimeSum { get; private set; }

    public double MeanRuntime => MeasuredRuntimes == 0 ? 0 : MeasuredRuntimeSum / MeasuredRuntimes;

    public static RowTally Over(OrderRange<ExecutionSummary> rows) => Sum(rows.Parts(typeof(RowTally), Counted, Sum));

    /// <summary>Every row of the order.</summary>
    public static RowTally Of(ChunkedOrder<ExecutionSummary> rows) => Over(rows.Range(0, rows.Count));

    static RowTally Counted(ReadOnlySpan<ExecutionSummary> rows) => new RowTally().Count(rows);

    /// <summary>Tallies of consecutive stretches, in order, as one: each key keeps its first appearance.</summary>
    static RowTally Sum(IEnumerable<RowTally> parts)
    {
        var tally = new RowTally();
        foreach (var part in parts) tally.Add(part);
        return tally;
    }

    RowTally Count(ReadOnlySpan<ExecutionSummary> rows)
    {
        foreach (var s in rows)
        {
            Total++;
            Increment(ByStatus, ExecutionRow.StatusOf(s), 1);
            Increment(ByUser, s.UserId, 1);
            Increment(ByAgent, s.AgentName, 1);
            if (ExecutionStatus.IsActive(s.Status)) Active++;
            if (s.Problem is not null) WithProblems++;
            if (!string.IsNullOrEmpty(s.LatestError)) WithErrorEvent++;
            if (s.Runtime is { } runtime && runtime != 0)
            {
                MeasuredRuntimes++;
                MeasuredRuntimeSum += runtime;
            }
        }
        return this;
    }

    void Add(RowTally other)
    {
        Total += other.Total;
        foreach (var (status, n) in other.ByStatus) Increment(ByStatus, status, n);
        foreach (var (user, n) in other.ByUser) Increment(ByUser, user, n);
        foreach (var (agent, n) in other.ByAgent) Increment(ByAgent, agent, n);
        Active += other.Active;
        WithProblems += other.WithProblems;
        WithErrorEvent += other.WithErrorEvent;
        MeasuredRuntimes += other.MeasuredRuntimes;
        MeasuredRuntimeSum += other.MeasuredRuntimeSum;
    }

    static void Increment(Dictionary<string, int> counts, string key, int by) =>
        System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(counts, key, out _) += by;
}
