using FastEndpoints;
using FluentValidation;

namespace Kodosumi.Api.Features.Dashboard.RunningAgents;

/// <summary>The list's filters and order, shared by the list and its export.</summary>
public class RunningAgentsQuery : FilterRequest
{
    /// <summary>A column of <see cref="RunningAgentsSort"/>; newest first when empty.</summary>
    public string? Sort { get; init; }
    /// <summary><c>asc</c> or <c>desc</c>; ascending by default when <c>sort</c> names a column.</summary>
    public string? Order { get; init; }

    public RunningAgentsSort ToSort() => RunningAgentsSort.Parse(Sort, Order);
}

public sealed class RunningAgentsRequest : RunningAgentsQuery
{
    /// <summary>Rows per page; without it (as Kodosumi's page asks) every match is listed.</summary>
    public int? Limit { get; init; }
    /// <summary>Rows to skip (0 or more); not with <c>cursor</c>.</summary>
    public int Offset { get; init; }
    /// <summary>The <c>next_cursor</c> of the previous page.</summary>
    public string? Cursor { get; init; }
}

public static class RunningAgentsQueryRules
{
    public static void AddQueryRules<T>(this AbstractValidator<T> validator) where T : RunningAgentsQuery
    {
        validator.AddFilterRules();
        validator.RuleFor(r => r.Sort).Must(RunningAgentsSort.IsValidColumn)
            .WithMessage($"sort must be one of {string.Join(", ", RunningAgentsSort.ShortNames)} (with order=asc|desc) " +
                         $"or {string.Join(", ", RunningAgentsSort.Columns)}; a leading '-' means descending");
        validator.RuleFor(r => r.Order).Must(RunningAgentsSort.IsValidOrder).WithMessage("order must be asc or desc");
        validator.RuleFor(r => r.Order).Must((r, order) => string.IsNullOrEmpty(order) || r.Sort?.StartsWith('-') != true)
            .WithMessage("order cannot be combined with a sort that has a leading '-'");
    }
}

public sealed class RunningAgentsValidator : Validator<RunningAgentsRequest>
{
    public const int MaxLimit = 5000;

    public RunningAgentsValidator()
    {
        this.AddQueryRules();
        RuleFor(r => r.Limit).InclusiveBetween(1, MaxLimit).When(r => r.Limit is not null);
        RuleFor(r => r.Offset).GreaterThanOrEqualTo(0);
        RuleFor(r => r.Cursor).Must(c => RunningAgentsCursor.TryDecode(c) is not null)
            .When(r => !string.IsNullOrEmpty(r.Cursor))
            .WithMessage("cursor is not a next_cursor of this list");
        RuleFor(r => r.Cursor)
            .Must((r, c) => RunningAgentsCursor.TryDecode(c)!.BelongsTo(r.ToSort()))
            .When(r => RunningAgentsCursor.TryDecode(r.Cursor) is not null
                       && RunningAgentsSort.IsValidColumn(r.Sort) && RunningAgentsSort.IsValidOrder(r.Order))
            .WithMessage("cursor belongs to another sort or order; keep the sort of the page that gave it");
        RuleFor(r => r.Offset).Equal(0).When(r => !string.IsNullOrEmpty(r.Cursor))
            .WithMessage("offset cannot be combined with cursor");
    }
}

public sealed class RunningAgentsResponse
{
    /// <summary>Every match, not only this page.</summary>
    public int Total { get; init; }
    /// <summary>Written as they are turned into rows, so an unpaged list of every execution is never held whole.</summary>
    public required IEnumerable<ExecutionRow> Agents { get; init; }
    public required RunningAgentsFilters Filters { get; init; }
    /// <summary>The page size asked for; null when the list is not paged.</summary>
    public int? Limit { get; init; }
    public int Offset { get; init; }
    /// <summary>Matches per status (the page's statistic boxes), before paging.</summary>
    public required IReadOnlyDictionary<string, int> ByStatus { get; init; }
    /// <summary>Pass as <c>cursor</c> for the rows after this page; null on the last page.</summary>
    public string? NextCursor { get; init; }
}

/// <summary>The filters applied, and the values the page can offer in its drop-downs.</summary>
public sealed class RunningAgentsFilters
{
    public double Hours { get; init; }
    public string? From { get; init; }
    public string? To { get; init; }
    public string? AgentName { get; init; }
    public string? User { get; init; }
    public string? Status { get; init; }
    public string? Search { get; init; }
    public string? Tags { get; init; }
    public bool? Stalled { get; init; }
    public required IReadOnlyList<string> AgentNames { get; init; }
    public required IReadOnlyList<FilterUser> Users { get; init; }
    public required IReadOnlyList<string> Statuses { get; init; }
}

public sealed record FilterUser(string Id, string? Name);
