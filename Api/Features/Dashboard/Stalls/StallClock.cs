using Kodosumi.Api.Hosting;
using Kodosumi.Shared;
using Kodosumi.Shared.Model;
using Microsoft.Extensions.Options;

namespace Kodosumi.Api.Features.Dashboard.Stalls;

/// <summary>
/// The line a run crosses to be stalled: running or starting, with its latest event older than
/// <c>Dashboard:StalledAfter</c>. Kodosumi never writes a last status for a process that died, so silence is the only sign.
/// </summary>
public readonly record struct StallLine(double SilentBefore)
{
    /// <summary>Nothing is stalled (<c>Dashboard:StalledAfter</c> is <c>00:00:00</c>).</summary>
    public static readonly StallLine Off = new(double.NegativeInfinity);

    public bool IsStalled(ExecutionSummary s) => CanStall(s) && s.LastTimestamp < SilentBefore;

    /// <summary>Statuses a dead process leaves behind; <c>awaiting</c> waits for a person, which may rightly take long.</summary>
    public static bool CanStall(ExecutionSummary s) => ExecutionStatus.IsWorking(s.Status);
}

/// <summary>Where the stall line is now, from the settings and the injected clock (so tests can move time).</summary>
public sealed class StallClock(IOptions<DashboardOptions> options, TimeProvider time)
{
    public TimeSpan After => options.Value.StalledAfter;

    public StallLine Now() => After <= TimeSpan.Zero
        ? StallLine.Off
        : new StallLine(time.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0 - After.TotalSeconds);
}
