using System.Text.Json;
using FastEndpoints;
using FluentValidation;

namespace Kodosumi.Api.Features.Dashboard.Errors;

/// <summary>The window (<c>hours</c>, or <c>from</c> and <c>to</c>) selects error events by their own timestamp.</summary>
public sealed class ErrorsRequest() : RangeRequest(24)
{
    /// <summary>At most this many errors are listed (1 to 5000); <c>total</c> counts them all.</summary>
    public int Limit { get; init; } = 100;
}

public sealed class ErrorsValidator : Validator<ErrorsRequest>
{
    public const int MaxLimit = 5000;

    public ErrorsValidator()
    {
        this.AddRangeRules();
        RuleFor(r => r.Limit).InclusiveBetween(1, MaxLimit);
    }
}

public sealed class ErrorsResponse
{
    /// <summary>All error events in the window; <see cref="Errors"/> holds at most <c>limit</c> of them.</summary>
    public int Total { get; init; }
    public required IReadOnlyList<ErrorItem> Errors { get; init; }
}

public sealed class ErrorItem
{
    public required string Fid { get; init; }
    public required string UserId { get; init; }
    public double Timestamp { get; init; }
    /// <summary>The message as JSON when it is JSON, or <c>{"error": text}</c>.</summary>
    public required ErrorMessage Error { get; init; }
    public long EventId { get; init; }
    public string? UserName { get; init; }
    public string? AgentName { get; init; }
}
