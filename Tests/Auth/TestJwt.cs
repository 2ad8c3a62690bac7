using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Kodosumi.Tests.Auth;

/// <summary>
/// Makes and reads HS256 tokens the way PyJWT (Kodosumi) does, written here from RFC 7515/7519 and nothing
/// of the service's code: base64url(header) "." base64url(payload) "." base64url(HMAC-SHA256 of the two).
/// </summary>
public static class TestJwt
{
    public const string DefaultSecret = "top secret -- change this in production";

    /// <summary>Kodosumi's claims for a role: <c>sub</c>, <c>iat</c>, <c>exp</c>.</summary>
    public static string For(string userId, string secret = DefaultSecret, TimeSpan? validFor = null)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        return Sign(new Dictionary<string, object>
        {
            ["sub"] = userId,
            ["iat"] = now,
            ["exp"] = now + (long)(validFor ?? TimeSpan.FromHours(1)).TotalSeconds,
        }, secret);
    }

    public static string Sign(object payload, string secret, string alg = "HS256")
    {
        var signingInput = Encode(new { alg, typ = "JWT" }) + "." + Encode(payload);
        var signature = alg == "none" ? "" : Base64Url(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.ASCII.GetBytes(signingInput)));
        return signingInput + "." + signature;
    }

    /// <summary>The payload of a token, after checking its HS256 signature with <paramref name="secret"/>.</summary>
    public static JsonElement Verify(string token, string secret = DefaultSecret)
    {
        var parts = token.Split('.');
        Assert.That(parts, Has.Length.EqualTo(3), "a JWS compact token has three parts");
        var header = JsonDocument.Parse(FromBase64Url(parts[0])).RootElement;
        Assert.That(header.GetProperty("alg").GetString(), Is.EqualTo("HS256"));
        var expected = Base64Url(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.ASCII.GetBytes(parts[0] + "." + parts[1])));
        Assert.That(parts[2], Is.EqualTo(expected), "signature");
        return JsonDocument.Parse(FromBase64Url(parts[1])).RootElement;
    }

    static string Encode(object value) => Base64Url(JsonSerializer.SerializeToUtf8Bytes(value));

    static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    static byte[] FromBase64Url(string text)
    {
        var s = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(s.PadRight(s.Length + (4 - s.Length % 4) % 4, '='));
    }
}
