using FastEndpoints;

namespace Kodosumi.Api.Features.Dashboard.Agents;

public sealed class AgentsRequest : FilterRequest
{
    /// <summary>All time by default, like agent-stats.</summary>
    public AgentsRequest() : base(TimeWindow.AllTime) { }
}

public sealed class AgentsValidator : Validator<AgentsRequest>
{
    public AgentsValidator() => this.AddFilterRules();
}

public sealed class AgentsResponse
{
    /// <summary>Executions counted over all agents.</summary>
    public int Total { get; init; }
    /// <summary>Most runs first, then by name.</summary>
    public required IReadOnlyList<AgentRow> Agents { get; init; }
}

public sealed class AgentRow
{
    public required string AgentName { get; init; }
    public int Runs { get; init; }
    /// <summary>Runs not ended yet (starting, running, awaiting).</summary>
    public int Running { get; init; }
    /// <summary>Runs that are stalled (running or starting, silent longer than <c>Dashboard:StalledAfter</c>).</summary>
    public int Stalled { get; init; }
    /// <summary>Runs with an error event or the error status.</summary>
    public int Errors { get; init; }
    public double ErrorRate { get; init; }
    /// <summary>Mean runtime in seconds of the runs that have one; null when none has.</summary>
    public double? AvgRuntime { get; init; }
    public required RuntimePercentiles RuntimePercentiles { get; init; }
    /// <summary>Start time of the newest run, Unix seconds.</summary>
    public double LastRun { get; init; }
}
