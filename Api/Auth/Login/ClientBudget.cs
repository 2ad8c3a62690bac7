namespace Kodosumi.Api.Auth.Login;

/// <summary>
/// Failed logins per client within a fixed window. A try is counted when it begins (as pending) and stays
/// counted only if it fails, so concurrent tries cannot all pass the check before any of them is counted,
/// and a user who signs in correctly is never slowed down.
/// </summary>
public sealed class ClientBudget(int limit, TimeSpan window, TimeProvider time)
{
    sealed class Entry
    {
        public long Start;
        public int Failures;
        public int Pending;
    }

    const int PruneAbove = 10_000;
    readonly Dictionary<string, Entry> _clients = new(StringComparer.Ordinal);
    readonly Lock _gate = new();

    /// <summary>True when the client has no try left now; asks nothing of the request (its body is not read yet).</summary>
    public bool IsBlocked(string client, out TimeSpan retryAfter)
    {
        lock (_gate) return Blocked(Current(client), out retryAfter);
    }

    /// <summary>Takes one try for the client; false (and when to come back) when none is left.</summary>
    public bool TryBegin(string client, out TimeSpan retryAfter)
    {
        lock (_gate)
        {
            var entry = Current(client);
            if (Blocked(entry, out retryAfter)) return false;
            entry.Pending++;
            return true;
        }
    }

    /// <summary>Ends a try begun with <see cref="TryBegin"/>: a failure keeps counting until the window ends.</summary>
    public void End(string client, bool failed)
    {
        lock (_gate)
        {
            var entry = Current(client);
            if (entry.Pending > 0) entry.Pending--;
            if (failed) entry.Failures++;
        }
    }

    bool Blocked(Entry entry, out TimeSpan retryAfter)
    {
        retryAfter = TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerSecond, entry.Start + window.Ticks - time.GetUtcNow().UtcTicks));
        return entry.Failures + entry.Pending >= limit;
    }

    Entry Current(string client)
    {
        var now = time.GetUtcNow().UtcTicks;
        if (_clients.Count > PruneAbove)
            foreach (var (key, old) in _clients)
                if (old.Pending == 0 && now - old.Start >= window.Ticks) _clients.Remove(key);
        if (!_clients.TryGetValue(client, out var entry)) _clients[client] = entry = new Entry { Start = now };
        if (now - entry.Start >= window.Ticks)
        {
            entry.Start = now;
            entry.Failures = 0;
        }
        return entry;
    }
}
