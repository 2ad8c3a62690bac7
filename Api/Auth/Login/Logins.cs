using BCrypt.Net;
using Kodosumi.Indexer.Users;
using Microsoft.Extensions.Options;

namespace Kodosumi.Api.Auth.Login;

/// <summary>What a login try came to: a user, a refusal, or no try at all (the client's budget is used up).</summary>
public readonly record struct LoginOutcome(KodosumiUser? User, bool Limited, TimeSpan RetryAfter);

/// <summary>
/// Checks a name and password as Kodosumi does (bcrypt hash in <c>roles.password</c>, inactive roles refused),
/// within each client's budget of failed tries (<see cref="ClientBudget"/>) and slowed down for a name under
/// attack (<see cref="AccountSlowdown"/>).
/// </summary>
public sealed class Logins
{
    readonly Accounts _accounts;
    readonly ClientBudget _clients;
    readonly AccountSlowdown _names;

    public Logins(Accounts accounts, IOptions<AuthOptions> options, TimeProvider time)
    {
        _accounts = accounts;
        _clients = new ClientBudget(options.Value.FailedLoginLimit, options.Value.FailedLoginWindow, time);
        _names = new AccountSlowdown(options.Value, time);
    }

    /// <summary>True once the client has used up its failed tries for the current window.</summary>
    public bool IsBlocked(string client, out TimeSpan retryAfter) => _clients.IsBlocked(client, out retryAfter);

    public async Task<LoginOutcome> TryAsync(string name, string password, string client, CancellationToken ct)
    {
        if (!_clients.TryBegin(client, out var retryAfter)) return new LoginOutcome(null, true, retryAfter);
        var failed = true;
        try
        {
            if (_names.DelayFor(name) is { } delay && delay > TimeSpan.Zero) await Task.Delay(delay, ct);
            var user = _accounts.FindByName(name);
            // Checked even for an unknown name, against a hash of the same cost, so the time tells nothing of which names exist.
            var matches = PasswordMatches(password, user?.PasswordHash ?? DummyHashes.Like(_accounts.PasswordHashes));
            if (user is { Active: true } && matches)
            {
                failed = false;
                return new LoginOutcome(user, false, TimeSpan.Zero);
            }
            _names.Failed(name);
            return new LoginOutcome(null, false, TimeSpan.Zero);
        }
        finally
        {
            _clients.End(client, failed);
        }
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
}
