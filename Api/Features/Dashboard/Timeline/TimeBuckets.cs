using NodaTime;

namespace Kodosumi.Api.Features.Dashboard.Timeline;

/// <summary>
/// Calendar buckets in a time zone (NodaTime's own IANA database, so the answer does not depend on the
/// machine's tzdata). An hour bucket is the local clock hour (two distinct buckets when clocks go back);
/// a day bucket runs from local midnight (or the day's first instant) to the next, so it lasts 23 or 25
/// hours on the days clocks change.
/// </summary>
public sealed class TimeBuckets
{
    public const string Hour = "hour", Day = "day";

    readonly DateTimeZone _zone;
    readonly bool _days;
    // NodaTime's calendar ends in the years -9998 and 9999, and a writer that stamps rows in milliseconds
    // lands far beyond: such instants share one open-ended bucket at either end instead of failing the answer.
    // Two days of margin keep a bucket's local date and the day after it inside the calendar.
    readonly double _earliest, _latest;

    public TimeBuckets(DateTimeZone zone, bool days)
    {
        _zone = zone;
        _days = days;
        _earliest = InCalendar(Seconds(Instant.MinValue + Duration.FromDays(2))).Start;
        _latest = InCalendar(Seconds(Instant.MaxValue - Duration.FromDays(2))).End;
    }

    public static DateTimeZone? FindZone(string? id) =>
        string.IsNullOrEmpty(id) ? DateTimeZone.Utc : DateTimeZoneProviders.Tzdb.GetZoneOrNull(id);

    /// <summary>The bucket holding the instant: its start and end in Unix seconds (open-ended beyond the calendar).</summary>
    public (double Start, double End) Around(double unixSeconds) =>
        unixSeconds < _earliest ? (-double.MaxValue, _earliest)
        : unixSeconds >= _latest ? (_latest, double.MaxValue)
        : InCalendar(unixSeconds);

    (double Start, double End) InCalendar(double unixSeconds)
    {
        var instant = Instant.FromUnixTimeTicks((long)Math.Floor(unixSeconds * NodaConstants.TicksPerSecond));
        if (_days)
        {
            var date = instant.InZone(_zone).Date;
            return (Seconds(_zone.AtStartOfDay(date).ToInstant()), Seconds(_zone.AtStartOfDay(date.PlusDays(1)).ToInstant()));
        }
        // Truncate the local time to its hour at the instant's own offset, so both 02:xx hours of a night
        // when clocks go back stay apart.
        var offset = _zone.GetUtcOffset(instant);
        var localTicks = instant.ToUnixTimeTicks() + offset.Ticks;
        var localHour = localTicks - ((localTicks % NodaConstants.TicksPerHour) + NodaConstants.TicksPerHour) % NodaConstants.TicksPerHour;
        var hourStart = Instant.FromUnixTimeTicks(localHour - offset.Ticks);
        return (Seconds(hourStart), Seconds(hourStart + Duration.FromHours(1)));
    }

    static double Seconds(Instant instant) => instant.ToUnixTimeTicks() / (double)NodaConstants.TicksPerSecond;
}
