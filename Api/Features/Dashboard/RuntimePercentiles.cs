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

    public static RuntimePercentiles OfSorted(double[] sorted) =>
        new(NearestRank(sorted, 0.50), NearestRank(sorted, 0.90), NearestRank(sorted, 0.95), NearestRank(sorted, 0.99));

    public static double? NearestRank(double[] sorted, double p) =>
        sorted.Length == 0 ? null : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
}

public static class ExecutionStates
{
    /// <summary>Statuses of an execution that has not ended.</summary>
    public static bool IsRunning(ExecutionSummary s) => s.Status is "running" or "starting" or "awaiting";
}
