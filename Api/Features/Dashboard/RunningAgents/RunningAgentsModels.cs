using FastEndpoints;
using FluentValidation;

namespace Kodosumi.Api.Features.Dashboard.RunningAgents;

public sealed class RunningAgentsRequest
{
    public double Hours { get; init; } = 24;
    [BindFrom("agent_name")] public string? AgentName { get; init; }
    /// <summary>The exact user id.</summary>
    public string? User { get; init; }
    public string? Status { get; init; }
    public string? Search { get; init; }
    public int Limit { get; init; } = 500;
    public int Offset { get; init; }
    /// <summary>A column of <see cref="RunningAgentsSort"/>, descending with a leading <c>-</c>; newest first when empty.</summary>
    public string? Sort { get; init; }
}

public sealed class RunningAgentsValidator : Validator<RunningAgentsRequest>
{
    public const int MaxLimit = 5000;

    public RunningAgentsValidator()
    {
        RuleFor(r => r.Hours).GreaterThan(0);
        RuleFor(r => r.Limit).InclusiveBetween(1, MaxLimit);
        RuleFor(r => r.Offset).GreaterThanOrEqualTo(0);
        RuleFor(r => r.Sort).Must(RunningAgentsSort.IsValid)
            .WithMessage($"sort must be one of {string.Join(", ", RunningAgentsSort.Columns)}, optionally with a leading '-'");
    }
}

public sealed class RunningAgentsResponse
{
    /// <summary>Every match, not only this page.</summary>
    public int Total { get; init; }
    public required IReadOnlyList<ExecutionRow> Agents { get; init; }
    public required RunningAgentsFilters Filters { get; init; }
    public int Limit { get; init; }
    public int Offset { get; init; }
    /// <summary>Matches per status (the page's statistic boxes), before paging.</summary>
    public required IReadOnlyDictionary<string, int> ByStatus { get; init; }
}

/// <summary>The filters applied, and the values the page can offer in its drop-downs.</summary>
public sealed class RunningAgentsFilters
{
    public double Hours { get; init; }
    public string? AgentName { get; init; }
    public string? User { get; init; }
    public string? Status { get; init; }
    public string? Search { get; init; }
    public required IReadOnlyList<string> AgentNames { get; init; }
    public required IReadOnlyList<FilterUser> Users { get; init; }
    public required IReadOnlyList<string> Statuses { get; init; }
}

public sealed record FilterUser(string Id, string? Name);
