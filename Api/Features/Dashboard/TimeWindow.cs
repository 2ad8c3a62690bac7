using System.Globalization;
using System.Text.RegularExpressions;

namespace Kodosumi.Api.Features.Dashboard;

/// <summary>The dashboard's <c>hours</c> filter: executions that started within the last so many hours.</summary>
public static partial class TimeWindow
{
    /// <summary>What Kodosumi's page sends for "All time".</summary>
    public const double AllTime = 999_999;

    public static double Since(double hours, TimeProvider time) =>
        hours >= AllTime ? double.NegativeInfinity : time.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0 - hours * 3600;

    /// <summary>
    /// A <c>from</c> or <c>to</c> value as Unix seconds: a number of seconds, or ISO 8601 with a date, a time
    /// and an offset (<c>Z</c> or <c>+02:00</c>); a time without an offset would depend on the server's zone.
    /// </summary>
    public static bool TryParseInstant(string? text, out double seconds)
    {
        seconds = 0;
        if (string.IsNullOrWhiteSpace(text)) return false;
        text = text.Trim();
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out seconds)) return double.IsFinite(seconds);
        if (!IsoWithOffset().IsMatch(text)
            || !DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var instant)) return false;
        seconds = instant.ToUnixTimeMilliseconds() / 1000.0;
        return true;
    }

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$", RegexOptions.IgnoreCase)]
    private static partial Regex IsoWithOffset();
}

/// <summary>Executions that started in <c>[Since, Until)</c>, Unix seconds; either end may be infinite.</summary>
public readonly record struct TimeRange(double Since, double Until)
{
    public static readonly TimeRange All = new(double.NegativeInfinity, double.PositiveInfinity);

    /// <summary>Whether the range ends before now (a <c>to</c> was given): such a window is not a prefix of the newest-first rows.</summary>
    public bool HasEnd => !double.IsPositiveInfinity(Until);

    public bool Contains(double time) => time >= Since && time < Until;
}
