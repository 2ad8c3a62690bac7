using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Kodosumi.Api.Auth;

/// <summary>
/// Tokens given up by a logout here. Kodosumi's tokens are stateless and stay valid until they expire;
/// this service at least refuses a token once its holder has logged out, until its expiry. Kept in
/// memory (a restart forgets them) as hashes, each dropped once its token has expired anyway.
/// </summary>
public sealed class RevokedTokens(TimeProvider time)
{
    readonly ConcurrentDictionary<string, DateTimeOffset> _until = new(StringComparer.Ordinal);

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
        var now = time.GetUtcNow();
        foreach (var (key, until) in _until)
            if (until < now) _until.TryRemove(key, out _);
        if (expires > now) _until[Hash(token)] = expires;
    }

    /// <summary>Tokens held (until their expiry).</summary>
    public int Count => _until.Count;

    public bool IsRevoked(string token) => !_until.IsEmpty && _until.ContainsKey(Hash(token));

    static string Hash(string token) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
}
