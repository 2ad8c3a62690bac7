using FastEndpoints;
using Kodosumi.Api.Auth;
using Kodosumi.Api.Features.Dashboard.Stalls;
using Kodosumi.Indexer;
using Kodosumi.Indexer.Store;
using Kodosumi.Shared;
using Kodosumi.Shared.Model;

namespace Kodosumi.Api.Features.Dashboard.AgentStats;

/// <summary>Counts and rates over every execution the user may see (or a window of them).</summary>
public sealed class AgentStatsEndpoint(IIndexReader index, TimeProvider time, StallClock stalls) : Endpoint<AgentStatsRequest, AgentStatsResponse>
{
    public override void Configure()
    {
        Get("agent-stats");
        Group<DashboardGroup>();
    }

    public override async Task HandleAsync(AgentStatsRequest req, CancellationToken ct)
    {
        var tags = ExecutionFilter.ParseList(req.Tags);
        var visible = VisibleIndex.Of(index.Snapshot(), Viewer.Of(User));
        var window = visible.Window(req.ToRange(time));
        var stall = stalls.Now();
        // All time without tags (the dashboard's statistics): from the tallies kept per chunk and group and the runtimes the
        // catalog keeps sorted, so no row is walked; the stalled count depends on the clock, so it is counted per request.
        var stats = window.Count == visible.Rows.Count && tags.Count == 0 && req.Stalled is null
            ? AllTime(visible, stall)
            : Compute(window.Where(s => ExecutionFilter.HasTags(s, tags) && (req.Stalled is not { } stalled || stall.IsStalled(s) == stalled)).ToList(), stall);
        await Send.OkAsync(stats, ct);
    }

    /// <summary>The dashboard's statistics over everything the viewer sees, from the kept tallies and runtime orders.</summary>
    public static AgentStatsResponse AllTime(VisibleIndex visible, StallLine stall)
    {
        var tally = RowTally.Of(visible.Rows);
        var runtimes = visible.Scope.Runtimes;
        return new AgentStatsResponse
        {
            TotalExecutions = tally.Total,
            ByStatus = tally.ByStatus,
            ByUser = tally.ByUser,
            ByAgent = tally.ByAgent,
            AvgRuntime = tally.MeanRuntime,
            MedianRuntime = RuntimePercentiles.NearestRank(runtimes, 50),
            P95Runtime = RuntimePercentiles.NearestRank(runtimes, 95),
            ErrorRate = tally.Total == 0 ? 0 : (double)tally.WithErrorEvent / tally.Total,
            Running = tally.Active,
            Stalled = SilentRuns.CountStalled(visible.Scope, stall),
            ExecutionsWithProblems = tally.WithProblems,
            RuntimePercentiles = RuntimePercentiles.OfSorted(runtimes),
            RuntimePercentilesByAgent = tally.ByAgent.Keys.ToDictionary(agent => agent,
                agent => RuntimePercentiles.OfSorted(visible.Scope.RuntimesByAgent.GetValueOrDefault(agent) ?? CatalogScope.Empty.Runtimes)),
        };
    }

    static AgentStatsResponse Compute(IReadOnlyList<ExecutionSummary> executions, StallLine? stall = null)
    {
        var runtimes = executions.Where(s => s.Runtime is not null).Select(s => s.Runtime!.Value).Order().ToArray();
        return new AgentStatsResponse
        {
            TotalExecutions = executions.Count,
            ByStatus = executions.CountBy(ExecutionRow.StatusOf).ToDictionary(),
            ByUser = executions.CountBy(s => s.UserId).ToDictionary(),
            ByAgent = executions.CountBy(s => s.AgentName).ToDictionary(),
            AvgRuntime = KodosumiAverage(runtimes),
            MedianRuntime = RuntimePercentiles.NearestRank(runtimes, 50),
            P95Runtime = RuntimePercentiles.NearestRank(runtimes, 95),
            ErrorRate = executions.Count == 0 ? 0 : (double)executions.Count(HasErrorEvent) / executions.Count,
            Running = executions.Count(s => ExecutionStatus.IsActive(s.Status)),
            Stalled = stall is { } line ? executions.Count(line.IsStalled) : 0,
            ExecutionsWithProblems = executions.Count(s => s.Problem is not null),
            RuntimePercentiles = RuntimePercentiles.OfSorted(runtimes),
            RuntimePercentilesByAgent = executions.GroupBy(s => s.AgentName).ToDictionary(g => g.Key, RuntimePercentiles.Of),
        };
    }

    /// <summary>Kodosumi's mean leaves out runtimes of 0 (a single event) as well as missing ones.</summary>
    static double KodosumiAverage(double[] runtimes)
    {
        var measured = runtimes.Where(r => r != 0).ToArray();
        return measured.Length == 0 ? 0 : measured.Average();
    }

    /// <summary>
    /// Kodosumi counts an execution as failed when its latest error event has text: the same rows its page counts
    /// from the list's <c>error</c> field, so the page's filtered and overall rates agree.
    /// </summary>
    static bool HasErrorEvent(ExecutionSummary s) => !string.IsNullOrEmpty(s.LatestError);
}
