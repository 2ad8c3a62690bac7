using FastEndpoints;
using Kodosumi.Api.Auth;
using Kodosumi.Indexer.Store;
using Kodosumi.Indexer.Users;
using Kodosumi.Shared.Model;

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
        // The filters' drop-downs are built from the window too, so they never name what the user cannot see.
        var visible = VisibleIndex.Of(catalog.Snapshot(), Viewer.Of(User));
        var inWindowCount = visible.CountSince(since);
        var inWindow = new ArraySegment<ExecutionSummary>(visible.Rows, 0, inWindowCount);
        // Unfiltered, newest first, without a cursor (the dashboard's first page): the window itself is the
        // answer's list, so its counts come from the index and the page costs only its own rows.
        var whole = filter is { AgentName: null or "", User: null or "", Status: null or "", Search: null or "", Tags: null or { Count: 0 } }
            && sort == RunningAgentsSort.Default && cursor is null;
        IReadOnlyList<ExecutionSummary> matches = whole ? inWindow : inWindow.Where(filter.Matches).ToList();
        // One row more than the page tells whether another page follows.
        var page = whole
            ? inWindow.Skip(req.Offset).Take(req.Limit + 1).ToList()
            : sort.Apply(matches, users, cursor?.After).Skip(req.Offset).Take(req.Limit + 1).ToList();
        var hasMore = page.Count > req.Limit;
        if (hasMore) page.RemoveAt(page.Count - 1);
        await Send.OkAsync(new RunningAgentsResponse
        {
            Total = matches.Count,
            Agents = page.Select(s => ExecutionRow.From(s, users)).ToList(),
            Limit = req.Limit,
            Offset = req.Offset,
            ByStatus = whole ? visible.ByStatus(inWindowCount) : matches.CountBy(ExecutionRow.StatusOf).ToDictionary(),
            NextCursor = hasMore
                ? new RunningAgentsCursor(sort.Column, sort.Descending, sort.KeyOf(page[^1], users), since).Encode()
                : null,
            Filters = new RunningAgentsFilters
            {
                Hours = req.Hours, AgentName = req.AgentName, User = req.User, Status = req.Status, Search = req.Search, Tags = req.Tags,
                AgentNames = visible.AgentNames(inWindowCount).Order(StringComparer.OrdinalIgnoreCase).ToList(),
                Users = visible.UserIds(inWindowCount).Order(StringComparer.Ordinal)
                    .Select(id => new FilterUser(id, users.NameOf(id))).ToList(),
                Statuses = visible.Statuses(inWindowCount).Order(StringComparer.Ordinal).ToList(),
            },
        }, ct);
    }
}
