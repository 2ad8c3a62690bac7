using Kodosumi.Indexer.Sources;
using Kodosumi.Shared;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Kodosumi.Indexer.Users;

/// <summary>A role of Kodosumi's admin.db; <see cref="Id"/> is hyphenated, as execution folders name users.</summary>
public sealed record KodosumiUser(string Id, string Name, string Email, bool Active, bool Operator, string PasswordHash);

/// <summary>Kodosumi's users, read from admin.db and read again whenever that file changes.</summary>
public sealed class UserDirectory(IOptions<IndexerOptions> options, ILogger<UserDirectory> logger)
{
    readonly string _path = options.Value.AdminDatabasePath;
    // The worker and sign-in checks both reload; one at a time.
    readonly Lock _reloadGate = new();
    IReadOnlyDictionary<string, KodosumiUser> _users = new Dictionary<string, KodosumiUser>();
    string? _stamp;
    string? _lastProblem;
    long _version;

    public string Path => _path;

    /// <summary>Grows whenever the users are read again, so answers that show user names or rights can tell.</summary>
    public long Version => Interlocked.Read(ref _version);

    public IReadOnlyCollection<KodosumiUser> All => (IReadOnlyCollection<KodosumiUser>)_users.Values;

    public KodosumiUser? Find(string userId) => _users.GetValueOrDefault(userId);

    public string? NameOf(string userId) => _users.GetValueOrDefault(userId)?.Name;

    /// <summary>Reads admin.db again if its file or WAL changed; a file that cannot be read keeps the last users.</summary>
    public void ReloadIfChanged()
    {
        lock (_reloadGate) Reload();
    }

    void Reload()
    {
        var stamp = Stamp(_path) + "|" + Stamp(_path + "-wal");
        if (stamp == _stamp) return;
        if (!File.Exists(_path))
        {
            _users = new Dictionary<string, KodosumiUser>();
            _stamp = stamp;
            Interlocked.Increment(ref _version);
            return;
        }
        try
        {
            _users = Read(_path);
            _stamp = stamp;
            Interlocked.Increment(ref _version);
            _lastProblem = null;
            logger.LogInformation("Loaded {Count} users from {Path}", _users.Count, _path);
        }
        catch (SqliteException e)
        {
            if (e.Message != _lastProblem) logger.LogWarning("Cannot read users from {Path}: {Problem}", _path, e.Message);
            _lastProblem = e.Message;
        }
    }

    static Dictionary<string, KodosumiUser> Read(string path)
    {
        using var db = SqliteSource.OpenReadOnly(path);
        using var cmd = db.CreateCommand();
        cmd.CommandText = "SELECT id, name, email, active, password, operator FROM roles";
        using var reader = cmd.ExecuteReader();
        var users = new Dictionary<string, KodosumiUser>(StringComparer.OrdinalIgnoreCase);
        while (reader.Read())
        {
            if (UserIds.ToHyphenated(reader.GetString(0)) is not { } id) continue;
            users[id] = new KodosumiUser(id, reader.GetString(1), reader.GetString(2), reader.GetBoolean(3), reader.GetBoolean(5), reader.GetString(4));
        }
        return users;
    }

    static string Stamp(string path)
    {
        var info = new FileInfo(path);
        return info.Exists ? $"{info.Length}@{info.LastWriteTimeUtc.Ticks}" : "-";
    }
}
