using Kodosumi.Shared.Model;

namespace Kodosumi.Api.Features.Dashboard.Stalls;

/// <summary>
/// The latest event times of a viewer's runs that can stall (running or starting), sorted, kept per catalog
/// version: how many are stalled now is one binary search, however the clock has moved since.
/// </summary>
public sealed class SilentRuns
{
    readonly double[] _lastEvents;

    SilentRuns(IEnumerable<ExecutionSummary> rows) =>
        _lastEvents = [.. rows.Where(StallLine.CanStall).Select(LastEvent).Order()];

    // A run without a usable time is never stalled (a comparison with NaN is false), so it sorts last.
    static double LastEvent(ExecutionSummary s) => s.LastTimestamp is { } t && !double.IsNaN(t) ? t : double.PositiveInfinity;

    public static SilentRuns Of(VisibleIndex visible) => visible.Derived(typeof(SilentRuns), () => new SilentRuns(visible.Rows));

    public int CountStalled(StallLine stall)
    {
        int low = 0, high = _lastEvents.Length;
        while (low < high)
        {
            var mid = (low + high) >>> 1;
            if (_lastEvents[mid] < stall.SilentBefore) low = mid + 1;
            else high = mid;
        }
        return low;
    }
}
