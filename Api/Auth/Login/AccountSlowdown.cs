namespace Kodosumi.Api.Auth.Login;

/// <summary>
/// Failed logins per account name (known or not, so the answer tells nothing of which names exist), from any
/// client. Past <see cref="AuthOptions.AccountSlowdownAfter"/> failures in a window, each further try of that
/// name waits a little longer before it is checked: an attack from many addresses is slowed down, and the
/// account's owner is only slowed, never locked out.
/// </summary>
public sealed class AccountSlowdown(AuthOptions options, TimeProvider time)
{
    const int PruneAbove = 10_000;
    readonly Dictionary<string, (long Start, int Failures)> _names = new(StringComparer.Ordinal);
    readonly Lock _gate = new();

    public TimeSpan DelayFor(string name)
    {
        int failures;
        lock (_gate) failures = Current(name).Failures;
        var excess = failures - options.AccountSlowdownAfter + 1;
        if (excess <= 0) return TimeSpan.Zero;
        return TimeSpan.FromTicks(Math.Min(options.AccountSlowdownStep.Ticks * excess, options.AccountSlowdownMax.Ticks));
    }

    public void Failed(string name)
    {
        lock (_gate)
        {
            var (start, failures) = Current(name);
            _names[name] = (start, failures + 1);
        }
    }

    (long Start, int Failures) Current(string name)
    {
        var now = time.GetUtcNow().UtcTicks;
        var window = options.FailedLoginWindow.Ticks;
        if (_names.Count > PruneAbove)
            foreach (var (key, old) in _names)
                if (now - old.Start >= window) _names.Remove(key);
        if (_names.TryGetValue(name, out var entry) && now - entry.Start < window) return entry;
        return _names[name] = (now, 0);
    }
}
