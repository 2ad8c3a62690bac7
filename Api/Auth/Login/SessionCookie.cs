namespace Kodosumi.Api.Auth.Login;

/// <summary>The browser session: Kodosumi's token in the <c>kodosumi_jwt</c> cookie, out of reach of scripts.</summary>
public static class SessionCookie
{
    public static void Set(HttpContext context, string token, DateTimeOffset expires) =>
        context.Response.Cookies.Append(KodosumiTokens.CookieName, token, Options(context, expires));

    public static void Clear(HttpContext context) =>
        context.Response.Cookies.Delete(KodosumiTokens.CookieName, Options(context, expires: null));

    static CookieOptions Options(HttpContext context, DateTimeOffset? expires) => new()
    {
        HttpOnly = true,
        SameSite = SameSiteMode.Lax,
        Secure = context.Request.IsHttps,
        Path = "/",
        Expires = expires,
    };

    /// <summary>The client a failed login counts against (the proxy's forwarded address once trusted, see <c>Auth:TrustedProxies</c>).</summary>
    public static string ClientOf(HttpContext context) => context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
}
