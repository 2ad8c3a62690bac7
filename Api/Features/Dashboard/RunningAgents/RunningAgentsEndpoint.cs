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
        var filter = req.ToFilter(since, users);
        // The filters' drop-downs are built from the window too, so they never name what the user cannot see.
        var visible = VisibleIndex.Of(catalog.Snapshot(), Viewer.Of(User));
        var inWindowCount = visible.CountSince(since);
        var inWindow = new ArraySegment<ExecutionSummary>(visible.Rows, 0, inWindowCount);
        // Unfiltered, newest first, without a cursor (the dashboard's first page): the window itself is the
        // answer's list, so its counts come from the index and the page costs only its own rows.
        var whole = filter is { AgentName: null or "", UserIds: null, Status: null or "", Search: null or "", Tags: null or { Count: 0 } }
            && sort == RunningAgentsSort.Default && cursor is null;
        IReadOnlyList<ExecutionSummary> matches = whole ? inWindow : inWindow.Where(filter.Matches).ToList();
        var ordered = (whole ? inWindow : sort.Apply(matches, users, cursor?.After)).Skip(req.Offset);
        // Without a limit every match is listed, as Kodosumi lists them; one row more than a page tells whether another follows.
        var listed = ordered;
        ExecutionSummary? lastBeforeMore = null;
        if (req.Limit is { } limit)
        {
            var page = ordered.Take(limit + 1).ToList();
            if (page.Count > limit)
            {
                page.RemoveAt(limit);
                lastBeforeMore = page[^1];
            }
            listed = page;
        }
        await Send.OkAsync(new RunningAgentsResponse
        {
            Total = matches.Count,
            Agents = listed.Select(s => ExecutionRow.From(s, users)),
            Limit = req.Limit,
            Offset = req.Offset,
            ByStatus = whole ? visible.ByStatus(inWindowCount) : matches.CountBy(ExecutionRow.StatusOf).ToDictionary(),
            NextCursor = lastBeforeMore is not null
                ? new RunningAgentsCursor(sort.Column, sort.Descending, sort.KeyOf(lastBeforeMore, users), since).Encode()
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
