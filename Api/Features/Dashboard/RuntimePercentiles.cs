using Kodosumi.Shared.Model;

namespace Kodosumi.Api.Features.Dashboard;

/// <summary>
/// Runtime percentiles in seconds by the nearest-rank definition: the p-th percentile of n sorted runtimes
/// is the value at rank ceil(p/100 × n) (1-based), always one of the runtimes. Executions without a runtime
/// yet are left out; all null when none has one.
/// </summary>
public sealed record RuntimePercentiles(double? P50, double? P90, double? P95, double? P99)
{
    public static RuntimePercentiles Of(IEnumerable<ExecutionSummary> executions)
    {
        var sorted = executions.Where(s => s.Runtime is not null).Select(s => s.Runtime!.Value).Order().ToArray();
        return OfSorted(sorted);
    }

    public static RuntimePercentiles OfSorted(IReadOnlyList<double> sorted) =>
        new(NearestRank(sorted, 50), NearestRank(sorted, 90), NearestRank(sorted, 95), NearestRank(sorted, 99));

    /// <summary>The value at rank ceil(percent × n / 100), in integers so that no rounding moves the rank.</summary>
    public static double? NearestRank(IReadOnlyList<double> sorted, int percent) =>
        sorted.Count == 0 ? null : sorted[Math.Max((int)(((long)percent * sorted.Count + 99) / 100), 1) - 1];
}
