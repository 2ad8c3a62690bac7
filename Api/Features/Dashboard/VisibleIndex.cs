using Kodosumi.Api.Auth;
using Kodosumi.Indexer.Store;
using Kodosumi.Shared.Model;

namespace Kodosumi.Api.Features.Dashboard;

/// <summary>
/// The executions one viewer may see in one catalog version, newest first: every execution's scope for an
/// operator, the user's own scope for anyone else, both kept sorted by the catalog. A time window is a range of
/// them found by binary search, and what a page shows about the whole window comes from <see cref="RowTally"/>.
/// </summary>
public sealed class VisibleIndex
{
    VisibleIndex(CatalogScope scope) => Scope = scope;

    /// <summary>The viewer's executions, error events, runtimes and working runs.</summary>
    public CatalogScope Scope { get; }

    /// <summary>Newest first, as <see cref="Visible.InWindow"/> lists them.</summary>
    public ChunkedOrder<ExecutionSummary> Rows => Scope.NewestFirst;

    public static VisibleIndex Of(CatalogSnapshot snapshot, Viewer viewer) =>
        new(viewer.IsOperator ? snapshot.All : viewer.UserId.Length == 0 ? CatalogScope.Empty : snapshot.OfUser(viewer.UserId));

    /// <summary>How many rows started at or after <paramref name="since"/>: the window is Rows[..n]. Rows without a usable start time (NaN) sort last and are in no window.</summary>
    public int CountSince(double since) => Rows.CountWhile(s => s.StartTime >= since);

    /// <summary>The rows that started in <paramref name="range"/>, newest first: those after its end skipped, those before its start cut off.</summary>
    public OrderRange<ExecutionSummary> Window(TimeRange range)
    {
        var start = range.HasEnd ? CountSince(range.Until) : 0;
        return Rows.Range(start, CountSince(range.Since));
    }
}
