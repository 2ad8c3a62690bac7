using System.Globalization;
using System.Net;
using System.Text;
using Kodosumi.Api.Auth;
using Kodosumi.Api.Auth.Login;

namespace Kodosumi.Api.Hosting;

/// <summary>
/// The Analytics Dashboard page at Kodosumi's address <c>/admin/dashboard</c>, and its sign-in page.
/// Both HTML files live in <c>Pages/</c>, outside wwwroot, so the static file server cannot hand the page
/// out without a session; its ES modules, styles and the vendored Beer CSS and D3 (no data) stay static.
/// </summary>
public static class DashboardPage
{
    public const string Route = "/admin/dashboard";
    public const string LoginRoute = "/admin/login";
    const string PageFile = "Pages/dashboard.html";
    const string LoginFile = "Pages/login.html";

    public static WebApplication UseDashboardPage(this WebApplication app)
    {
        app.UseStaticFiles();
        app.MapGet("/", () => Results.Redirect(Route)).ExcludeFromDescription();

        app.MapMethods(Route, ["GET", "HEAD"], (IWebHostEnvironment env, HttpContext http) =>
            http.User.Identity?.IsAuthenticated == true
                ? Html(http, env, PageFile)
                : Results.Redirect($"{LoginRoute}?next={Uri.EscapeDataString(http.Request.Path + http.Request.QueryString)}"))
            .WithName("DashboardPage").ExcludeFromDescription();

        app.MapMethods(LoginRoute, ["GET", "HEAD"], (IWebHostEnvironment env, HttpContext http, string? next) =>
            http.User.Identity?.IsAuthenticated == true
                ? Results.Redirect(SafeNext(next))
                : Html(http, env, LoginFile, next: SafeNext(next)))
            .ExcludeFromDescription();

        app.MapPost(LoginRoute, async (IWebHostEnvironment env, HttpContext http, Logins logins, KodosumiTokens tokens,
                [Microsoft.AspNetCore.Mvc.FromForm] LoginForm? form) =>
            {
                // A form without any of the fields binds to null: treat it as empty, a failed login, not a 500.
                form ??= new LoginForm(null, null, null);
                var next = SafeNext(form.Next);
                var outcome = await logins.TryAsync(form.Name ?? "", form.Password ?? "", SessionCookie.ClientOf(http), http.RequestAborted);
                if (outcome.Limited)
                {
                    LoginGate.SetRetryAfter(http.Response, outcome.RetryAfter);
                    return Html(http, env, LoginFile, next, "Too many failed logins. Try again in a minute.", StatusCodes.Status429TooManyRequests);
                }
                if (outcome.User is not { } user)
                    return Html(http, env, LoginFile, next, "Wrong name or password.", StatusCodes.Status401Unauthorized);
                var (token, expires) = tokens.Issue(user);
                SessionCookie.Set(http, token, expires);
                // 303: the browser follows with a GET, and a reload does not post the password again.
                http.Response.Headers.Location = next;
                return Results.StatusCode(StatusCodes.Status303SeeOther);
            })
            .DisableAntiforgery() // cross-site posts are refused by SameSiteRequests, before this runs
            .ExcludeFromDescription();
        return app;
    }

    public sealed record LoginForm(string? Name, string? Password, string? Next);

    /// <summary>
    /// Only a path on this site: never an open redirect to another host (<c>//evil</c>, <c>/\evil</c>, <c>https://…</c>).
    /// No control characters either: browsers drop tabs and line breaks from a URL, so <c>/\t/evil</c> is <c>//evil</c>
    /// (and a line break cannot go into a Location header). Characters beyond ASCII are percent-encoded: a header
    /// carries ASCII only.
    /// </summary>
    public static string SafeNext(string? next) =>
        next is { Length: > 0 } && next[0] == '/' && (next.Length == 1 || (next[1] != '/' && next[1] != '\\'))
        && !next.Any(char.IsControl)
        && Uri.TryCreate(next, UriKind.Relative, out _)
            ? AsciiOnly(next)
            : Route;

    /// <summary>Each byte of a character beyond ASCII as <c>%XX</c> of its UTF-8, as a browser sends it; ASCII as it is.</summary>
    static string AsciiOnly(string path)
    {
        if (Ascii.IsValid(path)) return path;
        var text = new StringBuilder();
        foreach (var b in Encoding.UTF8.GetBytes(path))
            if (b < 0x80) text.Append((char)b);
            else text.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
        return text.ToString();
    }

    static IResult Html(HttpContext http, IWebHostEnvironment env, string file, string next = Route, string error = "",
        int status = StatusCodes.Status200OK)
    {
        var page = env.ContentRootFileProvider.GetFileInfo(file);
        if (!page.Exists || page.PhysicalPath is null) return Results.NotFound();
        // The pages change with each deployment and the sign-in page carries per-request text: always revalidate.
        http.Response.Headers.CacheControl = "no-cache";
        var html = File.ReadAllText(page.PhysicalPath)
            .Replace("{{next}}", WebUtility.HtmlEncode(next), StringComparison.Ordinal)
            .Replace("{{error}}", WebUtility.HtmlEncode(error), StringComparison.Ordinal);
        return Results.Content(html, "text/html; charset=utf-8", statusCode: status);
    }
}
