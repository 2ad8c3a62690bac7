using FastEndpoints;
using Kodosumi.Api.Auth;
using Kodosumi.Indexer.Store;
using Kodosumi.Shared.Model;

namespace Kodosumi.Api.Features.Dashboard.AgentStats;

/// <summary>Counts and rates over every execution the user may see (or a window of them).</summary>
public sealed class AgentStatsEndpoint(ExecutionCatalog catalog, TimeProvider time) : Endpoint<AgentStatsRequest, AgentStatsResponse>
{
    public override void Configure()
    {
        Get("agent-stats");
        Group<DashboardGroup>();
    }

    public override async Task HandleAsync(AgentStatsRequest req, CancellationToken ct)
    {
        var tags = ExecutionFilter.ParseList(req.Tags);
        var visible = VisibleIndex.Of(catalog.Snapshot(), Viewer.Of(User));
        var window = visible.Window(req.ToRange(time));
        // All time without tags (the dashboard's statistics): computed once per catalog version and viewer.
        var stats = window.Count == visible.Rows.Length && tags.Count == 0
            ? visible.Derived(typeof(AgentStatsResponse), () => Compute(window))
            : Compute(window.Where(s => ExecutionFilter.HasTags(s, tags)).ToList());
        await Send.OkAsync(stats, ct);
    }

    static AgentStatsResponse Compute(IReadOnlyList<ExecutionSummary> executions)
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
            Running = executions.Count(ExecutionStates.IsRunning),
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
