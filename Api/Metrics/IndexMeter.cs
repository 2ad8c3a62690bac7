using System.Diagnostics.Metrics;
using Kodosumi.Api.Hosting;

namespace Kodosumi.Api.Metrics;

/// <summary>
/// The same readings as <c>/metrics</c>, as a <see cref="Meter"/> named <see cref="Name"/> that OpenTelemetry
/// (or <c>dotnet-counters</c>) can listen to. Observable instruments are read when collected.
/// </summary>
public sealed class IndexMeter
{
    public const string Name = "Kodosumi.Indexer";

    public IndexMeter(IndexReadings readings, IMeterFactory meters)
    {
        var meter = meters.Create(Name, BuildVersion.Value);
        meter.CreateObservableGauge("kodosumi.executions",
            () => readings.CountsByStatus().Select(c => new Measurement<int>(c.Value, new KeyValuePair<string, object?>("status", c.Key))),
            description: "Executions in the index by status.");
        meter.CreateObservableGauge("kodosumi.executions.indexed", () => readings.Indexed, description: "Executions in the index.");
        meter.CreateObservableGauge("kodosumi.executions.with_problems", () => readings.WithProblems,
            description: "Executions whose database could not be read the last time it was tried.");
        meter.CreateObservableGauge("kodosumi.executions.quarantined", () => readings.Quarantined,
            description: "Executions whose database keeps failing.");
        meter.CreateObservableCounter("kodosumi.folded_executions", () => readings.FoldedSinceStart,
            description: "Executions folded into the index since the process started.");
        meter.CreateObservableGauge("kodosumi.index.since_scan",
            () => readings.SecondsSinceScan is { } seconds ? [new Measurement<double>(seconds)] : Array.Empty<Measurement<double>>(),
            unit: "s", description: "Seconds since the last full scan ended.");
        meter.CreateObservableGauge("kodosumi.indexer.build_info",
            () => new Measurement<int>(1, new KeyValuePair<string, object?>("version", BuildVersion.Value)),
            description: "The running build: always 1, its version as a tag.");
        var lag = meter.CreateHistogram<double>("kodosumi.index.lag", unit: "s",
            description: "From the newest event's own timestamp to the moment the API shows it, per folded execution with new rows.");
        readings.Lag += seconds => lag.Record(seconds);
    }
}
