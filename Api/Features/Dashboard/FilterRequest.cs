using FastEndpoints;
using FluentValidation;
using Kodosumi.Indexer.Users;

namespace Kodosumi.Api.Features.Dashboard;

/// <summary>
/// The window and filters that the list, its export, the per-agent table and the tag list share, so
/// that they always count the same executions.
/// </summary>
public class FilterRequest
{
    public double Hours { get; init; } = 24;
    [BindFrom("agent_name")] public string? AgentName { get; init; }
    /// <summary>A user id, or a user's name (what Kodosumi's own page sends).</summary>
    public string? User { get; init; }
    public string? Status { get; init; }
    public string? Search { get; init; }
    /// <summary>Comma-separated; an execution must carry every one (<c>meta.tags</c>, any case).</summary>
    public string? Tags { get; init; }

    public ExecutionFilter ToFilter(double since, UserDirectory users) =>
        new(since, AgentName, ExecutionFilter.UsersNamed(User, users), Status, Search, ExecutionFilter.ParseTags(Tags));
}

public static class FilterRequestRules
{
    /// <summary>The rules every <see cref="FilterRequest"/> shares, added to an endpoint's own validator.</summary>
    public static void AddFilterRules<T>(this AbstractValidator<T> validator) where T : FilterRequest =>
        validator.RuleFor(r => r.Hours).GreaterThan(0);
}
