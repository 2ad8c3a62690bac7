using Kodosumi.Api.Features.Dashboard;
using Kodosumi.Indexer;

namespace Kodosumi.Api.Hosting;

/// <summary>
/// Until the first full scan is committed the index may be empty or being rebuilt: the dashboard API
/// answers 503 then, rather than numbers that are wrong.
/// </summary>
public static class IndexReadyGate
{
    public static WebApplication UseIndexReadyGate(this WebApplication app)
    {
        app.UseWhen(context => context.Request.Path.StartsWithSegments(DashboardRoutes.Prefix), branch => branch.Use(async (context, next) =>
        {
            var index = context.RequestServices.GetRequiredService<IIndexReader>();
            if (index.Ready)
            {
                await next();
                return;
            }
            context.Response.Headers.RetryAfter = "5";
            await Results.Problem(
                statusCode: StatusCodes.Status503ServiceUnavailable,
                title: "The index is not ready",
                detail: index.State().Rebuilding is { } why ? $"rebuilding: {why}" : "the first full scan is not done yet").ExecuteAsync(context);
        }));
        return app;
    }
}
