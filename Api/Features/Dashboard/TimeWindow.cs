namespace Kodosumi.Api.Features.Dashboard;

/// <summary>The dashboard's <c>hours</c> filter: executions that started within the last so many hours.</summary>
public static class TimeWindow
{
    /// <summary>What Kodosumi's page sends for "All time".</summary>
    public const double AllTime = 999_999;

    public static double Since(double hours, TimeProvider time) =>
        hours >= AllTime ? double.NegativeInfinity : time.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0 - hours * 3600;
}
