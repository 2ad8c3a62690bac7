using System.Threading.RateLimiting;
using BCrypt.Net;
using Kodosumi.Indexer.Users;
using Microsoft.Extensions.Options;

namespace Kodosumi.Api.Auth.Login;

/// <summary>
/// Checks a name and password as Kodosumi does (bcrypt hash in <c>roles.password</c>, inactive roles refused)
/// and limits failed attempts per client address with a fixed-window rate limiter, so only failures count:
/// a user who signs in correctly is never slowed down.
/// </summary>
public sealed class Logins : IDisposable
{
    static readonly string UnknownNameHash = BCrypt.Net.BCrypt.HashPassword(Guid.NewGuid().ToString(), workFactor: 12);

    readonly Accounts _accounts;
    readonly PartitionedRateLimiter<string> _failures;

    public Logins(Accounts accounts, IOptions<AuthOptions> options)
    {
        _accounts = accounts;
        var o = options.Value;
        _failures = PartitionedRateLimiter.Create<string, string>(client => RateLimitPartition.GetFixedWindowLimiter(client,
            _ => new FixedWindowRateLimiterOptions { PermitLimit = o.FailedLoginLimit, Window = o.FailedLoginWindow, QueueLimit = 0 }));
    }

    /// <summary>True once the client has used up its failed attempts for the current window.</summary>
    public bool IsBlocked(string client, out TimeSpan? retryAfter)
    {
        // Asking for zero permits only tests whether any are left.
        using var lease = _failures.AttemptAcquire(client, 0);
        retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : null;
        return !lease.IsAcquired;
    }

    /// <summary>The active role with this name and password, or null (and one failure counted against the client).</summary>
    public KodosumiUser? Verify(string name, string password, string client)
    {
        var user = _accounts.FindByName(name);
        // Checked even for an unknown name, so the time of the answer does not tell which names exist.
        var matches = PasswordMatches(password, user?.PasswordHash ?? UnknownNameHash);
        if (user is { Active: true } && matches) return user;
        _failures.AttemptAcquire(client).Dispose();
        return null;
    }

    static bool PasswordMatches(string password, string hash)
    {
        try
        {
            return BCrypt.Net.BCrypt.Verify(password, hash);
        }
        catch (SaltParseException)
        {
            return false; // not a bcrypt hash: nobody can sign in with it
        }
    }

    public void Dispose() => _failures.Dispose();
}
