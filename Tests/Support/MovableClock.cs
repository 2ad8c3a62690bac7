namespace Kodosumi.Tests.Support;

/// <summary>
/// The system clock moved ahead by <see cref="Ahead"/>: what the service reads as now jumps when a test says so,
/// while its timers still tick in real time (so background loops keep running). Counts the ticks of its timers by
/// period, so a test can wait until a loop has looked at the clock it set.
/// </summary>
public sealed class MovableClock : TimeProvider
{
    long _aheadTicks;
    readonly Dictionary<TimeSpan, long> _ticks = [];

    public TimeSpan Ahead
    {
        get => TimeSpan.FromTicks(Interlocked.Read(ref _aheadTicks));
        set => Interlocked.Exchange(ref _aheadTicks, value.Ticks);
    }

    public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + Ahead;

    public double UnixNow => GetUtcNow().ToUnixTimeMilliseconds() / 1000.0;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        base.CreateTimer(s =>
        {
            lock (_ticks) _ticks[period] = _ticks.GetValueOrDefault(period) + 1;
            callback(s);
        }, state, dueTime, period);

    /// <summary>
    /// Waits until the timers of <paramref name="period"/> have ticked <paramref name="count"/> more times: a loop
    /// on such a timer has then read the clock at least once since this call.
    /// </summary>
    public async Task TicksOf(TimeSpan period, int count = 3)
    {
        long Ticked() { lock (_ticks) return _ticks.GetValueOrDefault(period); }
        var until = Ticked() + count;
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (Ticked() < until)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Timers of {period} did not tick {count} times in 10 s.");
            await Task.Delay(period / 4);
        }
    }
}
