using Kodosumi.Indexer;
using Kodosumi.Indexer.Users;
using Kodosumi.Shared;
using Microsoft.Extensions.Options;

namespace Kodosumi.Api.Auth;

/// <summary>
/// Who can sign in: Kodosumi's roles from admin.db, read live from <see cref="UserDirectory"/> (which the
/// worker reloads every few seconds), or, until an admin.db is first seen, the one admin from settings.
/// </summary>
public sealed class Accounts
{
    readonly UserDirectory _users;
    readonly KodosumiUser _fallbackAdmin;
    readonly long _reloadMilliseconds;
    long _lastReload;
    volatile bool _adminDbSeen;

    public Accounts(UserDirectory users, IOptions<AuthOptions> options, IOptions<IndexerOptions> indexer)
    {
        _users = users;
        _reloadMilliseconds = (long)indexer.Value.UsersReloadInterval.TotalMilliseconds;
        var o = options.Value;
        // Hashed once so a login checks every account the same way.
        _fallbackAdmin = new KodosumiUser(UserIds.ToHyphenated(o.AdminId)!, o.AdminName, o.AdminEmail, Active: true, Operator: true,
            BCrypt.Net.BCrypt.HashPassword(o.AdminPassword, workFactor: 10));
    }

    /// <summary>
    /// The worker reloads admin.db on its own timer, but a long scan can hold it up; a deactivated role must
    /// lose access within seconds regardless, so sign-in checks also look for changes (a stat of two files),
    /// at most once per <see cref="IndexerOptions.UsersReloadInterval"/>.
    /// </summary>
    void ReloadIfDue()
    {
        var now = Environment.TickCount64;
        var last = Interlocked.Read(ref _lastReload);
        if (now - last < _reloadMilliseconds || Interlocked.CompareExchange(ref _lastReload, now, last) != last) return;
        _users.ReloadIfChanged();
    }

    /// <summary>
    /// True while no admin.db has been seen: the admin from settings is the only account. Once Kodosumi's
    /// users have existed, a missing file (a failed mount, a restore) locks everyone out instead of opening
    /// the settings admin.
    /// </summary>
    public bool UsingFallbackAdmin
    {
        get
        {
            if (_adminDbSeen) return false;
            return !(_adminDbSeen = File.Exists(_users.Path));
        }
    }

    /// <summary>The role with this id (hyphenated or 32 hex digits), active or not; null if there is none.</summary>
    public KodosumiUser? Find(string? id)
    {
        if (UserIds.ToHyphenated(id) is not { } hyphenated) return null;
        ReloadIfDue();
        if (!UsingFallbackAdmin) return _users.Find(hyphenated);
        return string.Equals(hyphenated, _fallbackAdmin.Id, StringComparison.OrdinalIgnoreCase) ? _fallbackAdmin : null;
    }

    /// <summary>The password hashes of every account, for a dummy hash of the same cost.</summary>
    public IEnumerable<string> PasswordHashes => UsingFallbackAdmin ? [_fallbackAdmin.PasswordHash] : _users.All.Select(u => u.PasswordHash);

    /// <summary>Kodosumi signs in by the role's name, compared exactly.</summary>
    public KodosumiUser? FindByName(string name)
    {
        ReloadIfDue();
        return UsingFallbackAdmin
            ? (name == _fallbackAdmin.Name ? _fallbackAdmin : null)
            : _users.All.FirstOrDefault(u => u.Name == name);
    }
}
