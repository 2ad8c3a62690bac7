using FastEndpoints;
using Kodosumi.Api.Auth;
using Kodosumi.Indexer.Store;

namespace Kodosumi.Api.Features.Dashboard.Tags;

/// <summary>The <c>meta.tags</c> in use among the executions the user may see, with how many carry each.</summary>
public sealed class TagsEndpoint(ExecutionCatalog catalog, TimeProvider time) : Endpoint<TagsRequest, TagsResponse>
{
    public override void Configure()
    {
        Get("tags");
        Group<DashboardGroup>();
    }

    public override async Task HandleAsync(TagsRequest req, CancellationToken ct)
    {
        var since = TimeWindow.Since(req.Hours, time);
        var filter = req.ToFilter(since);
        var matches = Visible.InWindow(catalog.Snapshot(), since, Viewer.Of(User)).Where(filter.Matches).ToList();
        // A summary's tags are distinct already (the fold drops repeats), so each execution counts once per tag.
        var tags = matches.SelectMany(s => s.Tags).CountBy(t => t)
            .OrderByDescending(t => t.Value).ThenBy(t => t.Key, StringComparer.Ordinal)
            .Select(t => new TagCount(t.Key, t.Value)).ToList();
        await Send.OkAsync(new TagsResponse { Total = matches.Count, Tags = tags }, ct);
    }
}
