using Kodosumi.Api.Auth;
using Kodosumi.Indexer.Store;
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
}
