using Kodosumi.Shared.Model;

namespace Kodosumi.Api.Features.Dashboard;

/// <summary>The filters of Kodosumi's running-agents query, applied to index summaries.</summary>
public sealed record ExecutionFilter(double Since, string? AgentName, string? User, string? Status, string? Search)
{
    public bool Matches(ExecutionSummary s) =>
        s.StartTime >= Since
        && (string.IsNullOrEmpty(AgentName) || s.AgentName.Contains(AgentName, StringComparison.OrdinalIgnoreCase))
        && (string.IsNullOrEmpty(User) || string.Equals(s.UserId, User, StringComparison.OrdinalIgnoreCase))
        && (string.IsNullOrEmpty(Status) || string.Equals(ExecutionRow.StatusOf(s), Status, StringComparison.OrdinalIgnoreCase))
        && (string.IsNullOrEmpty(Search) || MatchesSearch(s, Search));

    static bool MatchesSearch(ExecutionSummary s, string term) =>
        s.Fid.Contains(term, StringComparison.OrdinalIgnoreCase)
        || s.AgentName.Contains(term, StringComparison.OrdinalIgnoreCase)
        || s.UserId.Contains(term, StringComparison.OrdinalIgnoreCase)
        || ExecutionRow.StatusOf(s).Contains(term, StringComparison.OrdinalIgnoreCase);
}
