using Prometheus;

namespace Kodosumi.Api.Metrics;

/// <summary>
/// <c>/metrics</c> for Prometheus, open like <c>/health</c> (scrapers carry no Kodosumi token) and
/// therefore without per-user data; the request latency of every endpoint by route, method and status.
/// </summary>
public static class MetricsEndpoints
{
    public static IServiceCollection AddKodosumiMetrics(this IServiceCollection services) =>
        services.AddSingleton<IndexReadings>().AddSingleton<IndexMetrics>().AddSingleton<IndexMeter>();

    /// <summary>First in the pipeline, so refused (401) and not-ready (503) requests are timed too.</summary>
    public static WebApplication UseKodosumiHttpMetrics(this WebApplication app)
    {
        var registry = app.Services.GetRequiredService<IndexMetrics>().Registry;
        // The method is a label: a method a client makes up would add a series per name, without bound.
        // No route takes one, so it is answered 405 as routing would, only untimed.
        app.Use((context, next) =>
        {
            if (IsStandardMethod(context.Request.Method)) return next(context);
            context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            return Task.CompletedTask;
        });
        app.UseHttpMetrics(o => o.SetMetricFactory(Prometheus.Metrics.WithCustomRegistry(registry)));
        return app;
    }

    static bool IsStandardMethod(string method) =>
        HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsPost(method) || HttpMethods.IsPut(method)
        || HttpMethods.IsDelete(method) || HttpMethods.IsPatch(method) || HttpMethods.IsOptions(method)
        || HttpMethods.IsTrace(method) || HttpMethods.IsConnect(method);

    public static void MapKodosumiMetrics(this WebApplication app)
    {
        app.MapMetrics("/metrics", app.Services.GetRequiredService<IndexMetrics>().Registry);
        // Made now, so its instruments exist (and its lag histogram records) from the start.
        app.Services.GetRequiredService<IndexMeter>();
    }
}
