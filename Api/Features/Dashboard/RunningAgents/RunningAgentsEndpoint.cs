using FastEndpoints;
using Kodosumi.Api.Auth;
using Kodosumi.Indexer.Store;
using Kodosumi.Indexer.Users;

namespace Kodosumi.Api.Features.Dashboard.RunningAgents;

/// <summary>Executions newest first (or as sorted), filtered as Kodosumi's dashboard filters them, one page at a time.</summary>
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
        var sort = req.ToSort();
        var cursor = RunningAgentsCursor.TryDecode(req.Cursor);
        // A cursor keeps the window of the first page, so paging through it does not lose its oldest rows.
        var since = cursor?.Since ?? TimeWindow.Since(req.Hours, time);
        var filter = req.ToFilter(since);
        // The filters' drop-downs are built from this list too, so they never name what the user cannot see.
        var inWindow = Visible.InWindow(catalog.Snapshot(), since, Viewer.Of(User)).ToList();
        var matches = inWindow.Where(filter.Matches).ToList();
        // One row more than the page tells whether another page follows.
        var page = sort.Apply(matches, users, cursor?.After).Skip(req.Offset).Take(req.Limit + 1).ToList();
        var hasMore = page.Count > req.Limit;
        if (hasMore) page.RemoveAt(page.Count - 1);
        await Send.OkAsync(new RunningAgentsResponse
        {
            Total = matches.Count,
            Agents = page.Select(s => ExecutionRow.From(s, users)).ToList(),
            Limit = req.Limit,
            Offset = req.Offset,
            ByStatus = matches.CountBy(ExecutionRow.StatusOf).ToDictionary(),
            NextCursor = hasMore
                ? new RunningAgentsCursor(sort.Column, sort.Descending, sort.KeyOf(page[^1], users), since).Encode()
                : null,
            Filters = new RunningAgentsFilters
            {
                Hours = req.Hours, AgentName = req.AgentName, User = req.User, Status = req.Status, Search = req.Search, Tags = req.Tags,
                AgentNames = inWindow.Select(s => s.AgentName).Distinct().Order(StringComparer.OrdinalIgnoreCase).ToList(),
                Users = inWindow.Select(s => s.UserId).Distinct().Order(StringComparer.Ordinal)
                    .Select(id => new FilterUser(id, users.NameOf(id))).ToList(),
                Statuses = inWindow.Select(ExecutionRow.StatusOf).Distinct().Order(StringComparer.Ordinal).ToList(),
            },
        }, ct);
    }
}
