using FastEndpoints;
using FluentValidation;

namespace Kodosumi.Api.Features.Dashboard.Timeline;

public sealed class TimelineRequest
{
    public double Hours { get; init; } = 168;
    /// <summary>How many executions to list (the newest ones); the buckets always count them all.</summary>
    public int Limit { get; init; } = 5000;
}

public sealed class TimelineValidator : Validator<TimelineRequest>
{
    public const int MaxLimit = 50_000;

    public TimelineValidator()
    {
        RuleFor(r => r.Hours).GreaterThan(0);
        RuleFor(r => r.Limit).InclusiveBetween(0, MaxLimit);
    }
}

public sealed class TimelineResponse
{
    public int Total { get; init; }
    /// <summary>Oldest first, as Kodosumi's page expects.</summary>
    public required IReadOnlyList<ExecutionRow> Executions { get; init; }
    /// <summary>Executions per hour and status, oldest hour first, so a chart needs no rows.</summary>
    public required IReadOnlyList<TimelineBucket> Buckets { get; init; }
}

public sealed class TimelineBucket
{
    /// <summary>Start of the hour, Unix seconds.</summary>
    public double Start { get; init; }
    public int Total { get; init; }
    public required IReadOnlyDictionary<string, int> Counts { get; init; }
}
