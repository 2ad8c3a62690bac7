using Kodosumi.Api.Features.Dashboard.Stalls;
using Kodosumi.Indexer.Users;
using Kodosumi.Shared;
using Kodosumi.Shared.Model;

namespace Kodosumi.Api.Features.Dashboard;

/// <summary>
/// The filters of Kodosumi's running-agents query, applied to index summaries, plus <see cref="Tags"/>
/// (an addition): an execution matches when its <c>meta.tags</c> hold every tag listed, in any case.
/// <see cref="UserIds"/> is null when no user is asked for; an execution matches any of <see cref="Statuses"/>.
/// </summary>
public sealed record ExecutionFilter(TimeRange Range, string? AgentName, IReadOnlySet<string>? UserIds, IReadOnlyList<string> Statuses,
    string? Search, IReadOnlyList<string>? Tags = null, bool? Stalled = null, StallLine Stall = default)
{
    /// <summary>Whether the filter keeps every execution of its window, so a window's precomputed counts are its answer.</summary>
    public bool KeepsAll =>
        string.IsNullOrEmpty(AgentName) && UserIds is null && Statuses.Count == 0 && string.IsNullOrEmpty(Search) && Tags is not { Count: > 0 } && Stalled is null;

    public bool Matches(ExecutionSummary s) =>
        Range.Contains(s.StartTime)
        && (string.IsNullOrEmpty(AgentName) || s.AgentName.Contains(AgentName, StringComparison.OrdinalIgnoreCase))
        && (UserIds is null || UserIds.Contains(s.UserId))
        && (Statuses.Count == 0 || Statuses.Contains(ExecutionRow.StatusOf(s), StringComparer.OrdinalIgnoreCase))
        && (string.IsNullOrEmpty(Search) || MatchesSearch(s, Search))
        && (Tags is not { Count: > 0 } || HasTags(s, Tags))
        && (Stalled is not { } stalled || Stall.IsStalled(s) == stalled);

    static bool MatchesSearch(ExecutionSummary s, string term) =>
        s.Fid.Contains(term, StringComparison.OrdinalIgnoreCase)
        || s.AgentName.Contains(term, StringComparison.OrdinalIgnoreCase)
        || s.UserId.Contains(term, StringComparison.OrdinalIgnoreCase)
        || ExecutionRow.StatusOf(s).Contains(term, StringComparison.OrdinalIgnoreCase);

    public static bool HasTags(ExecutionSummary s, IReadOnlyList<string> tags) =>
        tags.All(t => s.Tags.Contains(t, StringComparer.OrdinalIgnoreCase));

    /// <summary>
    /// The ids the <c>user</c> parameter names: the id itself (hyphenated or as 32 hex digits), or the id of the
    /// user with that exact name, as Kodosumi's own page sends it. Null when the parameter is empty.
    /// </summary>
    public static IReadOnlySet<string>? UsersNamed(string? user, UserDirectory users)
    {
        if (string.IsNullOrEmpty(user)) return null;
        var ids = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { user };
        if (Shared.UserIds.ToHyphenated(user) is { } id) ids.Add(id);
        foreach (var u in users.All)
            if (u.Name == user) ids.Add(u.Id);
        return ids;
    }

    /// <summary>The <c>tags</c> or <c>status</c> parameter: a comma-separated list; blanks are ignored.</summary>
    public static IReadOnlyList<string> ParseList(string? list) =>
        string.IsNullOrWhiteSpace(list) ? [] : list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
}
