using FastEndpoints;
using Kodosumi.Api.Auth;
using Kodosumi.Api.Features.Dashboard.Stalls;
using Kodosumi.Indexer;
using Kodosumi.Indexer.Users;

namespace Kodosumi.Api.Features.Dashboard.Tags;

/// <summary>The <c>meta.tags</c> in use among the executions the user may see, with how many carry each.</summary>
public sealed class TagsEndpoint(IIndexReader index, UserDirectory users, TimeProvider time, StallClock stalls) : Endpoint<TagsRequest, TagsResponse>
{
    public override void Configure()
    {
        Get("tags");
        Group<DashboardGroup>();
    }

    public override async Task HandleAsync(TagsRequest req, CancellationToken ct)
    {
        var matches = Visible.Matching(index.Snapshot(), req, Viewer.Of(User), users, time, stalls.Now());
        // The tags filter matches in any case, so tags are counted in any case too (each execution once per
        // tag, "AI" and "ai" together), under the spelling of the newest execution that carries it.
        var tags = matches.SelectMany(s => s.Tags.Distinct(StringComparer.OrdinalIgnoreCase))
            .GroupBy(t => t, StringComparer.OrdinalIgnoreCase)
            .Select(g => new TagCount(g.First(), g.Count()))
            .OrderByDescending(t => t.Count).ThenBy(t => t.Tag, StringComparer.OrdinalIgnoreCase)
            .ToList();
        await Send.OkAsync(new TagsResponse { Total = matches.Count, Tags = tags }, ct);
    }
}
