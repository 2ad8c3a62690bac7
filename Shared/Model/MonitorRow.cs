namespace Kodosumi.Shared.Model;

/// <summary>One row of an execution database's <c>monitor</c> table.</summary>
/// <param name="Message">The message text, or null when the reader did not fetch it (kinds the fold ignores).</param>
/// <param name="MessageWasInvalidUtf8">True when the stored bytes were not valid UTF-8 and were decoded lossily.</param>
public sealed record MonitorRow(long Id, double Timestamp, string Kind, string? Message, bool MessageWasInvalidUtf8 = false);
