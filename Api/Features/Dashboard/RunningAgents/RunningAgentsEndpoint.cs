using FastEndpoints;
using Kodosumi.Api.Auth;
using Kodosumi.Indexer.Store;
using Kodosumi.Indexer.Users;

namespace Kodosumi.Api.Features.Dashboard.RunningAgents;

/// <summary>Executions newest first, filtered as Kodosumi's dashboard filters them, one page at a time.</summary>
public sealed class RunningAgentsEndpoint(ExecutionCatalog catalog, UserDirectory users, TimeProvider time)
    : Endpoint<RunningAgentsRequest, RunningAgentsResponse>
{
    public override void Configure()
    {
        Get("running-agents");
        Group<DashboardGroup>();
    }

    public override async Task HandleAsync(RunningAgentsRequest req, CancellationToken ct)
    {
        var since = TimeWindow.Since(req.Hours, time);
        var filter = new ExecutionFilter(since, req.AgentName, req.User, req.Status, req.Search);
        // The filters' drop-downs are built from this list too, so they never name what the user cannot see.
        var viewer = Viewer.Of(User);
        var inWindow = catalog.Snapshot().NewestFirst.TakeWhile(s => s.StartTime >= since).Where(viewer.CanSee).ToList();
        var matches = RunningAgentsSort.Apply(inWindow.Where(filter.Matches), req.Sort, users).ToList();
        await Send.OkAsync(new RunningAgentsResponse
        {
            Total = matches.Count,
            Agents = matches.Skip(req.Offset).Take(req.Limit).Select(s => ExecutionRow.From(s, users)).ToList(),
            Limit = req.Limit,
            Offset = req.Offset,
            ByStatus = matches.GroupBy(ExecutionRow.StatusOf).ToDictionary(g => g.Key, g => g.Count()),
            Filters = new RunningAgentsFilters
            {
                Hours = req.Hours, AgentName = req.AgentName, User = req.User, Status = req.Status, Search = req.Search,
                AgentNames = inWindow.Select(s => s.AgentName).Distinct().Order(StringComparer.OrdinalIgnoreCase).ToList(),
                Users = inWindow.Select(s => s.UserId).Distinct().Order(StringComparer.Ordinal)
                    .Select(id => new FilterUser(id, users.NameOf(id))).ToList(),
                Statuses = inWindow.Select(ExecutionRow.StatusOf).Distinct().Order(StringComparer.Ordinal).ToList(),
            },
        }, ct);
    }
}
