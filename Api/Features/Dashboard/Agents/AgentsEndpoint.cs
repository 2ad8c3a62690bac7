using FastEndpoints;
using Kodosumi.Api.Auth;
using Kodosumi.Api.Features.Dashboard.Stalls;
using Kodosumi.Indexer;
using Kodosumi.Indexer.Users;
using Kodosumi.Shared;

namespace Kodosumi.Api.Features.Dashboard.Agents;

/// <summary>One row per agent over the window and filters of the list: runs, errors, runtimes, last run.</summary>
public sealed class AgentsEndpoint(IIndexReader index, UserDirectory users, TimeProvider time, StallClock stalls) : Endpoint<AgentsRequest, AgentsResponse>
{
    public override void Configure()
    {
        Get("agents");
        Group<DashboardGroup>();
    }

    public override async Task HandleAsync(AgentsRequest req, CancellationToken ct)
    {
        var stall = stalls.Now();
        var matches = Visible.Matching(index.Snapshot(), req, Viewer.Of(User), users, time, stall);
        // The matches are newest first, so each group's first run is its last run.
        var rows = matches.GroupBy(s => s.AgentName).Select(g =>
            {
                var runs = g.Count();
                var errors = g.Count(s => s.HasError);
                var runtimes = g.Where(s => s.Runtime is not null).Select(s => s.Runtime!.Value).Order().ToArray();
                return new AgentRow
                {
                    AgentName = g.Key,
                    Runs = runs,
                    Running = g.Count(s => ExecutionStatus.IsActive(s.Status)),
                    Stalled = g.Count(stall.IsStalled),
                    Errors = errors,
                    ErrorRate = (double)errors / runs,
                    AvgRuntime = runtimes.Length == 0 ? null : runtimes.Average(),
                    RuntimePercentiles = RuntimePercentiles.OfSorted(runtimes),
                    LastRun = g.First().StartTime,
                };
            })
            .OrderByDescending(r => r.Runs).ThenBy(r => r.AgentName, StringComparer.OrdinalIgnoreCase)
            .ToList();
        await Send.OkAsync(new AgentsResponse { Total = matches.Count, Agents = rows }, ct);
    }
}
