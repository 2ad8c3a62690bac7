using Kodosumi.Api.Auth;
using Kodosumi.Indexer.Store;
using Kodosumi.Indexer.Users;
using Kodosumi.Shared.Model;

namespace Kodosumi.Api.Features.Dashboard;

public static class Visible
{
    /// <summary>
    /// The executions that started at or after <paramref name="since"/> and that the viewer may see, newest
    /// first: a prefix of the snapshot's order, so the window costs no sort.
    /// </summary>
    public static IEnumerable<ExecutionSummary> InWindow(CatalogSnapshot snapshot, double since, Viewer viewer) =>
        snapshot.NewestFirst.TakeWhile(s => s.StartTime >= since).Where(viewer.CanSee);

    /// <summary>
    /// What a <see cref="FilterRequest"/> matches for the viewer, newest first: the list's export, the
    /// per-agent table and the tag list take their executions from here, so they always count the same ones.
    /// </summary>
    public static List<ExecutionSummary> Matching(CatalogSnapshot snapshot, FilterRequest request, Viewer viewer, UserDirectory users, TimeProvider time)
    {
        var since = TimeWindow.Since(request.Hours, time);
        return InWindow(snapshot, since, viewer).Where(request.ToFilter(since, users).Matches).ToList();
    }
}
