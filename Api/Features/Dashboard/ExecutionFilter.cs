using Kodosumi.Indexer.Users;
using Kodosumi.Shared;
using Kodosumi.Shared.Model;

namespace Kodosumi.Api.Features.Dashboard;

/// <summary>
/// The filters of Kodosumi's running-agents query, applied to index summaries, plus <see cref="Tags"/>
/// (an addition): an execution matches when its <c>meta.tags</c> hold every tag listed, in any case.
/// <see cref="UserIds"/> is null when no user is asked for.
/// </summary>
public sealed record ExecutionFilter(double Since, string? AgentName, IReadOnlySet<string>? UserIds, string? Status, string? Search,
    IReadOnlyList<string>? Tags = null)
{
    public bool Matches(ExecutionSummary s) =>
        s.StartTime >= Since
        && (string.IsNullOrEmpty(AgentName) || s.AgentName.Contains(AgentName, StringComparison.OrdinalIgnoreCase))
        && (UserIds is null || UserIds.Contains(s.UserId))
        && (string.IsNullOrEmpty(Status) || string.Equals(ExecutionRow.StatusOf(s), Status, StringComparison.OrdinalIgnoreCase))
        && (string.IsNullOrEmpty(Search) || MatchesSearch(s, Search))
        && (Tags is not { Count: > 0 } || HasTags(s, Tags));

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

    /// <summary>The <c>tags</c> parameter: a comma-separated list; blanks are ignored.</summary>
    public static IReadOnlyList<string> ParseTags(string? tags) =>
        string.IsNullOrWhiteSpace(tags) ? [] : tags.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
}
