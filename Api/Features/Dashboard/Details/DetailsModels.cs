using FastEndpoints;
using FluentValidation;
using Kodosumi.Indexer.Sources;

namespace Kodosumi.Api.Features.Dashboard.Details;

public sealed class DetailsRequest
{
    /// <summary>The execution's id: 24 hex digits.</summary>
    public string Fid { get; init; } = "";
    /// <summary>Events to skip, in the answer's order (0 or more).</summary>
    public int Offset { get; init; }
    /// <summary>Events per page; without it every event from <see cref="Offset"/> on, as Kodosumi answers.</summary>
    public int? Limit { get; init; }
}

public sealed class DetailsValidator : Validator<DetailsRequest>
{
    public const int MaxLimit = 5000;

    public DetailsValidator()
    {
        RuleFor(r => r.Offset).GreaterThanOrEqualTo(0);
        RuleFor(r => r.Limit).InclusiveBetween(1, MaxLimit).When(r => r.Limit is not null);
    }
}

public sealed class DetailsResponse
{
    public required ExecutionRow Metadata { get; init; }
    /// <summary>Every event, or a page of them (<c>offset</c>, <c>limit</c>), ordered by timestamp, then id, as Kodosumi orders them.</summary>
    public required IReadOnlyList<MonitorEvent> Events { get; init; }
    public long TotalEvents { get; init; }
    public int Offset { get; init; }
    public int? Limit { get; init; }
    /// <summary>Set when the database could not be read just now; the metadata still comes from the index.</summary>
    public string? EventsProblem { get; init; }
}
