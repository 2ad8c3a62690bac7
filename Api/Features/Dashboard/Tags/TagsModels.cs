using FastEndpoints;

namespace Kodosumi.Api.Features.Dashboard.Tags;

public sealed class TagsRequest : FilterRequest
{
    /// <summary>All time by default: the tags a filter can offer.</summary>
    public TagsRequest() : base(TimeWindow.AllTime) { }
}

public sealed class TagsValidator : Validator<TagsRequest>
{
    public TagsValidator() => this.AddFilterRules();
}

public sealed class TagsResponse
{
    /// <summary>Executions counted (those matching the filters), tagged or not.</summary>
    public int Total { get; init; }
    /// <summary>Most used first, then by name.</summary>
    public required IReadOnlyList<TagCount> Tags { get; init; }
}

public sealed record TagCount(string Tag, int Count);
