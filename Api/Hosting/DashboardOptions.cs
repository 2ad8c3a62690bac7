using System.ComponentModel.DataAnnotations;
using Kodosumi.Api.Caching;

namespace Kodosumi.Api.Hosting;

/// <summary>Settings of the dashboard API's answers (the <c>Dashboard</c> section).</summary>
public sealed class DashboardOptions : IValidatableObject
{
    public const string Section = "Dashboard";

    /// <summary>
    /// How long an answer (and its ETag) stands while the index is unchanged. Time windows slide with
    /// the clock, so an execution leaves <c>hours=24</c> late by at most this much.
    /// </summary>
    public TimeSpan WindowSlot { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>At most this many bytes of JSON answers are kept for reuse under their ETags (64 MiB).</summary>
    public long KeptAnswersBytes { get; set; } = 64L << 20;

    /// <summary>A running or starting execution whose latest event is older than this is stalled; <c>00:00:00</c> turns it off.</summary>
    public TimeSpan StalledAfter { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>How often the live stream looks for runs that have just become stalled.</summary>
    public TimeSpan StalledCheckInterval { get; set; } = TimeSpan.FromSeconds(15);

    public IEnumerable<ValidationResult> Validate(ValidationContext context)
    {
        if (WindowSlot < TimeSpan.FromMilliseconds(1) || WindowSlot > TimeSpan.FromHours(1))
            yield return new ValidationResult($"{Section}:{nameof(WindowSlot)} must be between 00:00:00.001 and 01:00:00, got {WindowSlot}", [nameof(WindowSlot)]);
        if (StalledAfter < TimeSpan.Zero)
            yield return new ValidationResult($"{Section}:{nameof(StalledAfter)} must be 00:00:00 (off) or more, got {StalledAfter}", [nameof(StalledAfter)]);
        if (StalledCheckInterval < TimeSpan.FromMilliseconds(10) || StalledCheckInterval > TimeSpan.FromMinutes(10))
            yield return new ValidationResult($"{Section}:{nameof(StalledCheckInterval)} must be between 00:00:00.010 and 00:10:00, got {StalledCheckInterval}", [nameof(StalledCheckInterval)]);
        if (KeptAnswersBytes < 0)
            yield return new ValidationResult($"{Section}:{nameof(KeptAnswersBytes)} must be 0 or more, got {KeptAnswersBytes}", [nameof(KeptAnswersBytes)]);
    }
}
