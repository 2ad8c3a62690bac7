using FastEndpoints;
using Kodosumi.Api.Auth;
using Kodosumi.Api.Features.Dashboard.Stalls;
using Kodosumi.Indexer;
using Kodosumi.Indexer.Users;
using Kodosumi.Shared.Model;

namespace Kodosumi.Api.Features.Dashboard.RunningAgents;

/// <summary>Executions newest first (or as sorted), filtered as Kodosumi's dashboard filters them, one page at a time.</summary>
public sealed class RunningAgentsEndpoint(IIndexReader index, UserDirectory users, TimeProvider time, StallClock stalls)
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
        var range = req.ToRange(time);
        if (cursor is not null && !req.HasExactRange()) range = range with { Since = cursor.Since };
        var stall = stalls.Now();
        var filter = req.ToFilter(range, users, stall);
        // The filters' drop-downs are built from the window too, so they never name what the user cannot see.
        var visible = VisibleIndex.Of(index.Snapshot(), Viewer.Of(User));
        var inWindow = visible.Window(range);
        // The window's counts and values, from the tallies kept per chunk of the viewer's rows.
        var tally = RowTally.Over(inWindow);
        // Unfiltered, newest first, without a cursor (the dashboard's first page): the window itself is the
        // answer's list, so its counts are the tally's and the page costs only its own rows.
        var whole = filter.KeepsAll && sort == RunningAgentsSort.Default && cursor is null;
        IReadOnlyList<ExecutionSummary> matches = whole ? inWindow : inWindow.Where(filter.Matches).ToList();
        var ordered = whole ? inWindow.Skip(req.Offset) : sort.Apply(matches, users, cursor?.After).Skip(req.Offset);
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
            Agents = listed.Select(s => ExecutionRow.From(s, users, stall)),
            Limit = req.Limit,
            Offset = req.Offset,
            ByStatus = whole ? tally.ByStatus : matches.CountBy(ExecutionRow.StatusOf).ToDictionary(),
            NextCursor = lastBeforeMore is not null
                ? new RunningAgentsCursor(sort.Column, sort.Descending, sort.KeyOf(lastBeforeMore, users), range.Since).Encode()
                : null,
            Filters = new RunningAgentsFilters
            {
                Hours = req.Hours, AgentName = req.AgentName, User = req.User, Status = req.Status, Search = req.Search, Tags = req.Tags,
                From = req.From, To = req.To, Stalled = req.Stalled,
                AgentNames = tally.ByAgent.Keys.Order(StringComparer.OrdinalIgnoreCase).ToList(),
                Users = tally.ByUser.Keys.Order(StringComparer.Ordinal).Select(id => new FilterUser(id, users.NameOf(id))).ToList(),
                Statuses = tally.ByStatus.Keys.Order(StringComparer.Ordinal).ToList(),
            },
        }, ct);
    }
}
