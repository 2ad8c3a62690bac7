using FastEndpoints;
using FluentValidation;
using Kodosumi.Api.Features.Dashboard.Stalls;
using Kodosumi.Indexer.Users;

namespace Kodosumi.Api.Features.Dashboard;

/// <summary>
/// The window and filters that the list, its export, the per-agent table and the tag list share, so
/// that they always count the same executions.
/// </summary>
public class FilterRequest : RangeRequest
{
    public FilterRequest() : base(24) { }

    protected FilterRequest(double defaultHours) : base(defaultHours) { }

    /// <summary>Part of the agent's name, in any case.</summary>
    [BindFrom("agent_name")] public string? AgentName { get; init; }
    /// <summary>A user id, or a user's name (what Kodosumi's own page sends).</summary>
    public string? User { get; init; }
    /// <summary>A status (<c>starting</c>, <c>running</c>, <c>awaiting</c>, <c>finished</c>, <c>error</c>, <c>unknown</c>), in any case; several comma-separated match any of them.</summary>
    public string? Status { get; init; }
    /// <summary>Part of the fid, agent name, user id or status, in any case.</summary>
    public string? Search { get; init; }
    /// <summary>Comma-separated; an execution must carry every one (<c>meta.tags</c>, any case).</summary>
    public string? Tags { get; init; }
    /// <summary><c>true</c>: only stalled runs (running or starting, silent longer than <c>Dashboard:StalledAfter</c>); <c>false</c>: none of them.</summary>
    public bool? Stalled { get; init; }

    public ExecutionFilter ToFilter(TimeRange range, UserDirectory users, StallLine stall) =>
        new(range, AgentName, ExecutionFilter.UsersNamed(User, users), ExecutionFilter.ParseList(Status), Search, ExecutionFilter.ParseList(Tags),
            Stalled, stall);
}

public static class FilterRequestRules
{
    /// <summary>The rules every <see cref="FilterRequest"/> shares, added to an endpoint's own validator.</summary>
    public static void AddFilterRules<T>(this AbstractValidator<T> validator) where T : FilterRequest =>
        validator.AddRangeRules();
}
