using System.Security.Claims;
using System.Text;
using Kodosumi.Indexer.Users;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Kodosumi.Api.Auth;

/// <summary>
/// Kodosumi's tokens: HS256 JWTs signed with <c>KODO_SECRET_KEY</c>, <c>sub</c> = the role id, sent as the
/// cookie <c>kodosumi_jwt</c> or the header <c>KODOSUMI_API_KEY</c>. Tokens issued here are the same, so a
/// login on either service counts on both.
/// </summary>
public sealed class KodosumiTokens
{
    public const string CookieName = "kodosumi_jwt";
    public const string HeaderName = "KODOSUMI_API_KEY";
    public const string SubjectClaim = JwtRegisteredClaimNames.Sub;
    public const string NameClaim = "name";
    public const string OperatorClaim = "kodosumi_operator";

    readonly SymmetricSecurityKey _key;
    readonly AuthOptions _options;
    readonly TimeProvider _time;
    readonly JsonWebTokenHandler _handler = new();

    public KodosumiTokens(IOptions<AuthOptions> options, TimeProvider time)
    {
        _options = options.Value;
        _time = time;
        // PyJWT uses the secret's UTF-8 bytes as the HMAC key.
        _key = new SymmetricSecurityKey(Encoding.UTF8.GetBytes(_options.SecretKey));
        if (_key.KeySize < ShortKeyHmac.LibraryMinimumBits) _key.CryptoProviderFactory = new ShortKeyHmac.Factory();
    }

    public TokenValidationParameters ValidationParameters => new()
    {
        IssuerSigningKey = _key,
        ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
        RequireSignedTokens = true,
        RequireExpirationTime = true,
        ValidateLifetime = true,
        ValidateIssuerSigningKey = true,
        // Kodosumi's tokens carry neither issuer nor audience.
        ValidateIssuer = false,
        ValidateAudience = false,
        ClockSkew = TimeSpan.FromSeconds(30),
        NameClaimType = NameClaim,
    };

    /// <summary>A token for <paramref name="user"/>, with Kodosumi's claims <c>sub</c>, <c>iat</c> and <c>exp</c> (and a <c>jti</c>, which Kodosumi ignores).</summary>
    public (string Token, DateTimeOffset Expires) Issue(KodosumiUser user)
    {
        var now = _time.GetUtcNow();
        var expires = now + _options.TokenLifetime;
        var token = _handler.CreateToken(new SecurityTokenDescriptor
        {
            // jti: two logins in the same second must still be two tokens, so a logout gives up only its own.
            Claims = new Dictionary<string, object> { [SubjectClaim] = user.Id, [JwtRegisteredClaimNames.Jti] = Guid.NewGuid().ToString("N") },
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = expires.UtcDateTime,
            SigningCredentials = new SigningCredentials(_key, SecurityAlgorithms.HmacSha256),
        });
        return (token, expires);
    }

    /// <summary>The token from Kodosumi's header (with or without "Bearer ") or its cookie; null when neither is sent.</summary>
    public static string? KodosumiTokenOf(HttpRequest request)
    {
        var header = request.Headers[HeaderName].ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) header = header["Bearer ".Length..];
        return header.Length > 0 ? header.Trim() : request.Cookies[CookieName];
    }

    /// <summary>The token authentication reads: Kodosumi's header or cookie, else the standard <c>Authorization: Bearer</c>.</summary>
    public static string? AuthenticatingTokenOf(HttpRequest request)
    {
        if (KodosumiTokenOf(request) is { Length: > 0 } token) return token;
        var authorization = request.Headers.Authorization.ToString();
        return authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? authorization["Bearer ".Length..].Trim() : null;
    }

    /// <summary>
    /// True when the request carries more than one <c>kodosumi_jwt</c> cookie (a sibling site can plant a second one
    /// for a wider path or domain): which one is meant cannot be told, so neither is taken.
    /// </summary>
    public static bool HasSeveralCookies(HttpRequest request)
    {
        var seen = 0;
        foreach (var header in request.Headers.Cookie)
            foreach (var pair in (header ?? "").Split(';'))
            {
                var eq = pair.IndexOf('=');
                if (eq > 0 && pair.AsSpan(0, eq).Trim().Equals(CookieName, StringComparison.OrdinalIgnoreCase) && ++seen > 1) return true;
            }
        return false;
    }

    /// <summary>Reads the token from Kodosumi's header or cookie, and checks its role in admin.db on every request.</summary>
    public static JwtBearerEvents Events => new()
    {
        OnMessageReceived = ctx =>
        {
            if (HasSeveralCookies(ctx.Request))
            {
                ctx.Fail("several session cookies");
                return Task.CompletedTask;
            }
            // Neither present: the handler falls back to the standard Authorization: Bearer header.
            ctx.Token = KodosumiTokenOf(ctx.Request);
            var token = ctx.Token ?? AuthenticatingTokenOf(ctx.Request);
            // Another spelling of a token (padding, %3D in a cookie) is refused rather than told apart from the original.
            if (token is { Length: > 0 } && !TokenKey.IsCanonical(token)) ctx.Fail("not a compact JWS token");
            return Task.CompletedTask;
        },
        OnTokenValidated = ctx =>
        {
            // RFC 7515 4.1.11: extensions named in "crit" must be understood; this service understands none.
            if (ctx.SecurityToken is JsonWebToken { } critical && critical.TryGetHeaderValue<object>("crit", out _))
            {
                ctx.Fail("the token names critical extensions");
                return Task.CompletedTask;
            }
            if (ctx.SecurityToken is JsonWebToken jwt && ctx.HttpContext.RequestServices.GetRequiredService<RevokedTokens>().IsRevoked(jwt.EncodedToken))
            {
                ctx.Fail("the token was given up by a logout");
                return Task.CompletedTask;
            }
            // A valid signature is not enough: the role may have been deactivated or deleted since it was issued.
            var accounts = ctx.HttpContext.RequestServices.GetRequiredService<Accounts>();
            if (accounts.Find(ctx.Principal?.FindFirstValue(SubjectClaim)) is not { Active: true } user)
            {
                ctx.Fail("the token's role is unknown or inactive");
                return Task.CompletedTask;
            }
            ctx.Principal = new ClaimsPrincipal(new ClaimsIdentity(
                [new Claim(SubjectClaim, user.Id), new Claim(NameClaim, user.Name), new Claim(OperatorClaim, user.Operator ? "true" : "false")],
                ctx.Scheme.Name, NameClaim, null));
            return Task.CompletedTask;
        },
        OnChallenge = ctx =>
        {
            // Only that the token failed: why (its expiry time, a revocation) helps whoever holds a stolen one.
            if (ctx.AuthenticateFailure is not null) ctx.Error = "invalid_token";
            ctx.ErrorDescription = null;
            ctx.ErrorUri = null;
            return Task.CompletedTask;
        },
    };
}
