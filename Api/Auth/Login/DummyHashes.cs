using System.Collections.Concurrent;
using System.Globalization;

namespace Kodosumi.Api.Auth.Login;

/// <summary>
/// Hashes to check an unknown name's password against, of the cost the stored hashes use: one cheaper or dearer
/// than theirs would tell by the time of the answer whether a name exists.
/// </summary>
public static class DummyHashes
{
    static readonly ConcurrentDictionary<int, string> ByCost = new();

    /// <summary>A hash of a random password with the cost most of <paramref name="stored"/> have (10 when none can be read).</summary>
    public static string Like(IEnumerable<string> stored)
    {
        var cost = stored.Select(CostOf).Where(c => c is >= 4 and <= 31).GroupBy(c => c)
            .OrderByDescending(g => g.Count()).ThenByDescending(g => g.Key).Select(g => (int?)g.Key).FirstOrDefault() ?? 10;
        return ByCost.GetOrAdd(cost, c => BCrypt.Net.BCrypt.HashPassword(Guid.NewGuid().ToString(), workFactor: c));
    }

    /// <summary>The cost of a bcrypt hash (<c>$2b$12$…</c>), or 0 when it is none.</summary>
    public static int CostOf(string hash)
    {
        var parts = hash.Split('$');
        return parts.Length >= 4 && int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var cost) ? cost : 0;
    }
}
