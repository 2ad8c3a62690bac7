namespace Kodosumi.Shared;

/// <summary>Kodosumi's execution statuses as its <c>status</c> events write them, compared exactly as Kodosumi does.</summary>
public static class ExecutionStatus
{
    public const string Starting = "starting", Running = "running", Awaiting = "awaiting", Finished = "finished", Error = "error";

    /// <summary>What an execution without a status event shows.</summary>
    public const string Unknown = "unknown";

    /// <summary>Every status Kodosumi writes, in the order a run passes through them.</summary>
    public static readonly IReadOnlyList<string> All = [Starting, Running, Awaiting, Finished, Error];

    /// <summary>Finished or failed: nothing more is expected from the run.</summary>
    public static bool IsFinal(string? status) => status is Finished or Error;

    /// <summary>Under way: starting, running or waiting for a person.</summary>
    public static bool IsActive(string? status) => status is Starting or Running or Awaiting;

    /// <summary>Working without waiting for anyone: a run that can stall.</summary>
    public static bool IsWorking(string? status) => status is Starting or Running;
}
