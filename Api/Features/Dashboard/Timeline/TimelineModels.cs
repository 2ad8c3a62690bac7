using FastEndpoints;
using FluentValidation;

namespace Kodosumi.Api.Features.Dashboard.Timeline;

public sealed class TimelineRequest() : RangeRequest(24)
{
    /// <summary>How many executions to list (the newest ones); every one when not given, as Kodosumi lists them. The buckets always count them all.</summary>
    public int? Limit { get; init; }
    /// <summary><c>hour</c> (default) or <c>day</c>.</summary>
    public string? Bucket { get; init; }
    /// <summary>IANA time zone of the buckets' hours and days; UTC by default.</summary>
    public string? Tz { get; init; }
    /// <summary>Comma-separated; only executions carrying every one are counted.</summary>
    public string? Tags { get; init; }
    /// <summary><c>true</c>: only stalled runs; <c>false</c>: none of them.</summary>
    public bool? Stalled { get; init; }
}

public sealed class TimelineValidator : Validator<TimelineRequest>
{
    public const int MaxLimit = 50_000;

    public TimelineValidator()
    {
        this.AddRangeRules();
        RuleFor(r => r.Limit).InclusiveBetween(0, MaxLimit).When(r => r.Limit is not null);
        RuleFor(r => r.Bucket).Must(b => string.IsNullOrEmpty(b) || b is TimeBuckets.Hour or TimeBuckets.Day)
            .WithMessage("bucket must be hour or day");
        RuleFor(r => r.Tz).Must(tz => TimeBuckets.FindZone(tz) is not null)
            .WithMessage("tz must be an IANA time zone name, such as Europe/Berlin");
    }
}

public sealed class TimelineResponse
{
    public int Total { get; init; }
    /// <summary>Oldest first, as Kodosumi's page expects.</summary>
    public required IEnumerable<ExecutionRow> Executions { get; init; }
    /// <summary>Executions per hour or day and status, oldest first, so a chart needs no rows; empty buckets are left out.</summary>
    public required IReadOnlyList<TimelineBucket> Buckets { get; init; }
}

public sealed class TimelineBucket
{
    /// <summary>Start of the hour or day, Unix seconds.</summary>
    public double Start { get; init; }
    /// <summary>Start of the next hour or day: a day is 23 or 25 hours long when clocks change.</summary>
    public double End { get; init; }
    public int Total { get; init; }
    public required IReadOnlyDictionary<string, int> Counts { get; init; }
}
