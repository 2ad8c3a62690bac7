using Kodosumi.Indexer.Store;
using Kodosumi.Shared.Model;

namespace Kodosumi.Api.Features.Dashboard.Stalls;

/// <summary>
/// The stalled runs of a scope, read from its working runs ordered by their latest event (kept by the catalog):
/// how many are stalled now is one binary search, however the clock has moved, and no finished run is looked at.
/// </summary>
public static class SilentRuns
{
    public static int CountStalled(CatalogScope scope, StallLine stall) => SilentBefore(scope, stall);

    /// <summary>The runs stalled at <paramref name="now"/> that were not at <paramref name="before"/>.</summary>
    public static IReadOnlyList<ExecutionSummary> Crossed(CatalogScope scope, StallLine before, StallLine now) =>
        scope.WorkingBySilence.Range(SilentBefore(scope, before), SilentBefore(scope, now));

    // A run without a usable time is never stalled: it sorts last, at +infinity, which no line is above.
    static int SilentBefore(CatalogScope scope, StallLine line) =>
        scope.WorkingBySilence.CountWhile(s => CatalogScope.LastEvent(s) < line.SilentBefore);
}
