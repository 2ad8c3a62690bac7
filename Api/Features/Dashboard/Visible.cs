using Kodosumi.Api.Auth;
using Kodosumi.Api.Features.Dashboard.Stalls;
using Kodosumi.Indexer.Store;
using Kodosumi.Indexer.Users;
using Kodosumi.Shared.Model;

namespace Kodosumi.Api.Features.Dashboard;

public static class Visible
{
    /// <summary>
    /// The executions that started in <paramref name="range"/> and that the viewer may see, newest first: a
    /// stretch of the viewer's order, so the window costs no sort.
    /// </summary>
    public static IEnumerable<ExecutionSummary> InWindow(CatalogSnapshot snapshot, TimeRange range, Viewer viewer)
    {
        var visible = VisibleIndex.Of(snapshot, viewer);
        return visible.Rows.Range(visible.CountSince(range.Until), visible.CountSince(range.Since));
    }

    /// <summary>
    /// What a <see cref="FilterRequest"/> matches for the viewer, newest first: the list's export, the
    /// per-agent table and the tag list take their executions from here, so they always count the same ones.
    /// </summary>
    public static List<ExecutionSummary> Matching(CatalogSnapshot snapshot, FilterRequest request, Viewer viewer, UserDirectory users,
        TimeProvider time, StallLine stall)
    {
        var range = request.ToRange(time);
        return InWindow(snapshot, range, viewer).Where(request.ToFilter(range, users, stall).Matches).ToList();
    }
}
