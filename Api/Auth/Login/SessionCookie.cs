using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;

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
        // Behind a TLS proxy: its X-Forwarded-Proto once trusted (Auth:TrustedProxies), or Auth:SecureCookie.
        Secure = context.Request.IsHttps || context.RequestServices.GetRequiredService<IOptions<AuthOptions>>().Value.SecureCookie,
        Path = "/",
        Expires = expires,
    };

    /// <summary>
    /// The client a failed login counts against (the proxy's forwarded address once trusted, see <c>Auth:TrustedProxies</c>).
    /// An IPv6 client counts by its /64: one host is usually given a whole /64, so each of its addresses is the same client.
    /// </summary>
    public static string ClientOf(HttpContext context) => ClientOf(context.Connection.RemoteIpAddress);

    public static string ClientOf(IPAddress? address)
    {
        if (address is null) return "unknown";
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        if (address.AddressFamily != AddressFamily.InterNetworkV6) return address.ToString();
        var bytes = address.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new IPAddress(bytes) + "/64";
    }
}
