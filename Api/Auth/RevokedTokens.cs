using System.Collections.Concurrent;
using System.Security.Cryptography;
using Kodosumi.Indexer.Store;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Kodosumi.Api.Auth;

/// <summary>
/// Tokens given up by a logout here. Kodosumi's tokens are stateless and stay valid until they expire;
/// this service at least refuses a token once its holder has logged out, until its expiry. Each is kept
/// by what it is (<see cref="TokenKey"/>), not by how it was spelled, in memory and in the index, so a
/// restart does not accept it again; each is dropped once its token has expired anyway.
/// </summary>
public sealed class RevokedTokens
{
    readonly ConcurrentDictionary<string, DateTimeOffset> _until = new(StringComparer.Ordinal);
    readonly TimeProvider _time;
    readonly ITokenRevocations _store;
    readonly ILogger<RevokedTokens> _logger;

    public RevokedTokens(TimeProvider time, ITokenRevocations store, ILogger<RevokedTokens> logger)
    {
        _time = time;
        _store = store;
        _logger = logger;
        foreach (var kept in store.RevokedAt(time.GetUtcNow().ToUnixTimeSeconds()))
            _until[kept.Id] = DateTimeOffset.FromUnixTimeSeconds(kept.ExpiresUnixSeconds);
    }

    public void Revoke(string token)
    {
        DateTimeOffset expires;
        try
        {
            expires = new JsonWebToken(token).ValidTo;
        }
        catch (ArgumentException)
        {
            return; // not a JWT: nothing that could authenticate
        }
        if (TokenKey.Of(token) is not { } key) return;
        var now = _time.GetUtcNow();
        foreach (var (old, until) in _until)
            if (until < now) _until.TryRemove(old, out _);
        if (expires <= now) return;
        _until[key] = expires;
        try
        {
            _store.KeepRevoked(key, expires.ToUnixTimeSeconds());
        }
        catch (IndexStoreException e)
        {
            _logger.LogWarning("A logout holds until a restart only: {Reason}", e.Message);
        }
    }

    /// <summary>Tokens held (until their expiry).</summary>
    public int Count => _until.Count;

    public bool IsRevoked(string token) => !_until.IsEmpty && TokenKey.Of(token) is { } key && _until.ContainsKey(key);
}

/// <summary>
/// What a token is, whatever its spelling: a hash of its signature's bytes. Base64url has several spellings of
/// the same bytes (padding, the unused bits of the last character) that a parser accepts alike, while the
/// signature itself cannot be changed without the key.
/// </summary>
public static class TokenKey
{
    /// <summary>Null when the token has no decodable signature (then it cannot sign anyone in either).</summary>
    public static string? Of(string token)
    {
        var dot = token.LastIndexOf('.');
        if (dot < 0) return null;
        var signature = token.AsSpan(dot + 1).Trim().TrimEnd('=');
        Span<char> base64 = stackalloc char[signature.Length + 3];
        for (var i = 0; i < signature.Length; i++) base64[i] = signature[i] switch { '-' => '+', '_' => '/', var c => c };
        var length = signature.Length;
        while (length % 4 != 0) base64[length++] = '=';
        var bytes = new byte[length];
        if (!Convert.TryFromBase64Chars(base64[..length], bytes, out var written) || written == 0) return null;
        return Convert.ToHexString(SHA256.HashData(bytes.AsSpan(0, written)));
    }

    /// <summary>
    /// True for the one spelling a JWS compact token has (RFC 7515: base64url without padding, nothing else);
    /// anything else is refused before its signature is checked.
    /// </summary>
    public static bool IsCanonical(string token)
    {
        var parts = token.Split('.');
        return parts.Length == 3 && parts.All(p => p.Length > 0 && p.All(IsBase64UrlChar) && p.Length % 4 != 1 && HasNoStrayBits(p));
    }

    static bool IsBase64UrlChar(char c) => c is (>= 'A' and <= 'Z') or (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '_';

    /// <summary>The last character of a part that does not fill its bytes carries unused bits; they must be zero.</summary>
    static bool HasNoStrayBits(string part)
    {
        var last = part[^1] switch
        {
            >= 'A' and <= 'Z' and var c => c - 'A',
            >= 'a' and <= 'z' and var c => c - 'a' + 26,
            >= '0' and <= '9' and var c => c - '0' + 52,
            '-' => 62,
            _ => 63,
        };
        return (part.Length % 4) switch
        {
            2 => (last & 0xF) == 0,
            3 => (last & 0x3) == 0,
            _ => true,
        };
    }
}
