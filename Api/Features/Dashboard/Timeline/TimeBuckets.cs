using NodaTime;

namespace Kodosumi.Api.Features.Dashboard.Timeline;

/// <summary>
/// Calendar buckets in a time zone (NodaTime's own IANA database, so the answer does not depend on the
/// machine's tzdata). An hour bucket is the local clock hour (two distinct buckets when clocks go back);
/// a day bucket runs from local midnight (or the day's first instant) to the next, so it lasts 23 or 25
/// hours on the days clocks change.
/// </summary>
public sealed class TimeBuckets(DateTimeZone zone, bool days)
{
    public const string Hour = "hour", Day = "day";

    public static DateTimeZone? FindZone(string? id) =>
        string.IsNullOrEmpty(id) ? DateTimeZone.Utc : DateTimeZoneProviders.Tzdb.GetZoneOrNull(id);

    /// <summary>The bucket holding the instant: its start and end in Unix seconds.</summary>
    public (double Start, double End) Around(double unixSeconds)
    {
        var instant = Instant.FromUnixTimeTicks((long)Math.Floor(unixSeconds * NodaConstants.TicksPerSecond));
        if (days)
        {
            var date = instant.InZone(zone).Date;
            return (Seconds(zone.AtStartOfDay(date).ToInstant()), Seconds(zone.AtStartOfDay(date.PlusDays(1)).ToInstant()));
        }
        // Truncate the local time to its hour at the instant's own offset, so both 02:xx hours of a night
        // when clocks go back stay apart.
        var offset = zone.GetUtcOffset(instant);
        var localTicks = instant.ToUnixTimeTicks() + offset.Ticks;
        var localHour = localTicks - ((localTicks % NodaConstants.TicksPerHour) + NodaConstants.TicksPerHour) % NodaConstants.TicksPerHour;
        var hourStart = Instant.FromUnixTimeTicks(localHour - offset.Ticks);
        return (Seconds(hourStart), Seconds(hourStart + Duration.FromHours(1)));
    }

    static double Seconds(Instant instant) => instant.ToUnixTimeTicks() / (double)NodaConstants.TicksPerSecond;
}
