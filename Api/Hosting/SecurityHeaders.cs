namespace Kodosumi.Api.Hosting;

/// <summary>
/// Headers that keep the pages to this service's own code: scripts, styles and fonts only from here (no inline
/// script), never inside another site's frame, no guessing of content types, and no address sent to other sites.
/// Set on every answer: the JSON and files are no less worth keeping out of frames and sniffing.
/// </summary>
public static class SecurityHeaders
{
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; font-src 'self'; img-src 'self' data:; connect-src 'self'; "
        + "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    public static WebApplication UseSecurityHeaders(this WebApplication app)
    {
        app.Use((context, next) =>
        {
            var headers = context.Response.Headers;
            headers.ContentSecurityPolicy = ContentSecurityPolicy;
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "same-origin";
            headers.XFrameOptions = "DENY"; // frame-ancestors for browsers that predate it
            return next(context);
        });
        return app;
    }
}
