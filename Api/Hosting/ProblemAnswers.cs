using Kodosumi.Api.Features.Dashboard;

namespace Kodosumi.Api.Hosting;

/// <summary>
/// Error answers without a body of their own (401 from authentication, 404 from routing or an endpoint) get RFC 9457
/// problem details, as the 400s already do, with a detail that says what to do. A 404 for an execution says the same
/// whether it does not exist or belongs to someone else.
/// </summary>
public static class ProblemAnswers
{
    public static IServiceCollection AddKodosumiProblemAnswers(this IServiceCollection services) =>
        services.AddProblemDetails(o => o.CustomizeProblemDetails = c =>
        {
            c.ProblemDetails.Detail ??= DetailFor(c.HttpContext.Response.StatusCode, c.HttpContext.Request.Path);
            // Byte for byte the same for every fid it does not show: no path, no trace id.
            c.ProblemDetails.Extensions.Remove("traceId");
        });

    /// <summary>Outermost, so that it sees the status every later part of the pipeline set.</summary>
    public static WebApplication UseKodosumiProblemAnswers(this WebApplication app)
    {
        app.UseStatusCodePages();
        return app;
    }

    static string? DetailFor(int status, PathString path) => status switch
    {
        StatusCodes.Status401Unauthorized =>
            $"Sign in first: send a valid Kodosumi token in the {Auth.KodosumiTokens.HeaderName} header, as a Bearer token, or in the {Auth.KodosumiTokens.CookieName} cookie.",
        StatusCodes.Status404NotFound when path.StartsWithSegments(DashboardRoutes.Prefix + "/execution") =>
            "There is no execution with this id that you may see.",
        StatusCodes.Status404NotFound => "Nothing is served at this address.",
        _ => null,
    };
}
