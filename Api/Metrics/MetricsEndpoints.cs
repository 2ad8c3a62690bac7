using Prometheus;

namespace Kodosumi.Api.Metrics;

/// <summary>
/// <c>/metrics</c> for Prometheus, open like <c>/health</c> (scrapers carry no Kodosumi token) and
/// therefore without per-user data; the request latency of every endpoint by route, method and status.
/// </summary>
public static class MetricsEndpoints
{
    public static IServiceCollection AddKodosumiMetrics(this IServiceCollection services) => services.AddSingleton<IndexMetrics>();

    /// <summary>First in the pipeline, so refused (401) and not-ready (503) requests are timed too.</summary>
    public static WebApplication UseKodosumiHttpMetrics(this WebApplication app)
    {
        var registry = app.Services.GetRequiredService<IndexMetrics>().Registry;
        app.UseHttpMetrics(o => o.SetMetricFactory(Prometheus.Metrics.WithCustomRegistry(registry)));
        return app;
    }

    public static void MapKodosumiMetrics(this WebApplication app) =>
        app.MapMetrics("/metrics", app.Services.GetRequiredService<IndexMetrics>().Registry);
}
