namespace Kodosumi.Tests.Support;

/// <summary>
/// The system clock moved ahead by <see cref="Ahead"/>: what the service reads as now jumps when a test says so,
/// while its timers still tick in real time (so background loops keep running).
/// </summary>
public sealed class MovableClock : TimeProvider
{
    long _aheadTicks;

    public TimeSpan Ahead
    {
        get => TimeSpan.FromTicks(Interlocked.Read(ref _aheadTicks));
        set => Interlocked.Exchange(ref _aheadTicks, value.Ticks);
    }

    public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + Ahead;

    public double UnixNow => GetUtcNow().ToUnixTimeMilliseconds() / 1000.0;
}
