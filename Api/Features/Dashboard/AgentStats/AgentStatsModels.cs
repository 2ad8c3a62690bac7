using FastEndpoints;
using FluentValidation;

namespace Kodosumi.Api.Features.Dashboard.AgentStats;

/// <summary>Kodosumi's statistics cover all time; a window (<c>hours</c>, or <c>from</c> and <c>to</c>) is an addition.</summary>
public sealed class AgentStatsRequest() : RangeRequest(TimeWindow.AllTime)
{
    /// <summary>Comma-separated; only executions carrying every one are counted.</summary>
    public string? Tags { get; init; }
    /// <summary><c>true</c>: only stalled runs; <c>false</c>: none of them.</summary>
    public bool? Stalled { get; init; }
}

public sealed class AgentStatsValidator : Validator<AgentStatsRequest>
{
    public AgentStatsValidator() => this.AddRangeRules();
}

public sealed record AgentStatsResponse
{
    public int TotalExecutions { get; init; }
    public required IReadOnlyDictionary<string, int> ByStatus { get; init; }
    /// <summary>Executions per user id.</summary>
    public required IReadOnlyDictionary<string, int> ByUser { get; init; }
    /// <summary>Mean runtime in seconds of the executions whose runtime is known and not 0 (as Kodosumi); 0 when none has one.</summary>
    public double AvgRuntime { get; init; }
    /// <summary>Executions whose latest error event has text, divided by all executions (Kodosumi's rate).</summary>
    public double ErrorRate { get; init; }
    public required IReadOnlyDictionary<string, int> ByAgent { get; init; }
    public int Running { get; init; }
    /// <summary>Running or starting executions silent for longer than <c>Dashboard:StalledAfter</c>.</summary>
    public int Stalled { get; init; }
    public int ExecutionsWithProblems { get; init; }
    public double? MedianRuntime { get; init; }
    public double? P95Runtime { get; init; }
    /// <summary>Nearest-rank runtime percentiles over every execution with a runtime.</summary>
    public required RuntimePercentiles RuntimePercentiles { get; init; }
    public required IReadOnlyDictionary<string, RuntimePercentiles> RuntimePercentilesByAgent { get; init; }
}
