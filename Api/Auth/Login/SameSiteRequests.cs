namespace Kodosumi.Api.Auth.Login;

/// <summary>
/// Refuses a sign-in or logout that another site's page makes a browser send (login CSRF, a forced logout), by
/// what the browser says of the request's origin: <c>Sec-Fetch-Site</c>, else <c>Origin</c>. A request with
/// neither (an API client, a script) is let through: no browser made it on another site's behalf. A logout
/// may come from the same site (Kodosumi's own page on another port); a sign-in only from this origin (or,
/// by <c>Origin</c> alone, this host).
/// </summary>
public static class SameSiteRequests
{
    public const string LogoutRoute = "/logout";

    public static WebApplication UseSameSiteRequests(this WebApplication app)
    {
        app.UseWhen(IsGuarded, branch => branch.Use(async (context, next) =>
        {
            var logout = context.Request.Path.Equals(LogoutRoute, StringComparison.OrdinalIgnoreCase);
            if (RefusalOf(context.Request, allowSameSite: logout) is { } header)
            {
                await Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Cross-site request refused",
                    detail: $"{header} says another site made this request; sign in and out from this service's own pages").ExecuteAsync(context);
                return;
            }
            await next();
        }));
        return app;
    }

    /// <summary>The header that shows the request as cross-site, or null when it is not (or nothing says).</summary>
    public static string? RefusalOf(HttpRequest request, bool allowSameSite)
    {
        var site = request.Headers["Sec-Fetch-Site"].ToString();
        if (site.Length > 0)
            return site is "same-origin" or "none" || (allowSameSite && site == "same-site") ? null : "Sec-Fetch-Site";
        var origin = request.Headers.Origin.ToString();
        if (origin.Length == 0) return null;
        // "null" (a sandboxed frame, a redirect across sites) names no origin at all: not this one.
        if (!Uri.TryCreate(origin, UriKind.Absolute, out var from)) return "Origin";
        // The host only: behind a TLS proxy that is not trusted the scheme and port seen here are not the browser's.
        return string.Equals(from.Host, request.Host.Host, StringComparison.OrdinalIgnoreCase) ? null : "Origin";
    }

    static bool IsGuarded(HttpContext context) =>
        context.Request.Path.Equals(LogoutRoute, StringComparison.OrdinalIgnoreCase)
        || LoginGate.Routes.Any(r => context.Request.Path.Equals(r, StringComparison.OrdinalIgnoreCase));
}
