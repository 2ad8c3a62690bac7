using Kodosumi.Api.Features.Dashboard.Stalls;
using Kodosumi.Indexer.Users;
using Kodosumi.Shared;
using Kodosumi.Shared.Model;

namespace Kodosumi.Api.Features.Dashboard;

/// <summary>
/// One execution as Kodosumi's dashboard API shows it (the first thirteen fields are its contract),
/// plus what the index knows beyond it.
/// </summary>
public sealed class ExecutionRow
{
    public required string Fid { get; init; }
    public required string UserId { get; init; }
    public string? UserName { get; init; }
    public required string AgentName { get; init; }
    public required string Status { get; init; }
    public JsonText? Meta { get; init; }
    public string? Error { get; init; }
    public double? ErrorTimestamp { get; init; }
    public double StartTime { get; init; }
    public double? EndTime { get; init; }
    public double? Runtime { get; init; }
    public int UploadCount { get; init; }
    public int DownloadCount { get; init; }
    public int ErrorCount { get; init; }
    public long EventCount { get; init; }
    public IReadOnlyList<string> Tags { get; init; } = [];
    /// <summary>Why the execution's database could not be read the last time; null when it read cleanly.</summary>
    public string? Problem { get; init; }
    public string? Warning { get; init; }
    /// <summary>Set while the execution's database is not read (it kept failing); the other fields are its last good summary.</summary>
    public QuarantineView? Quarantined { get; init; }
    /// <summary>Running or starting, and silent for longer than <c>Dashboard:StalledAfter</c>: its process may have died.</summary>
    public bool Stalled { get; init; }

    /// <summary>Status shown for an execution that has written no status event yet.</summary>
    public const string UnknownStatus = ExecutionStatus.Unknown;

    public static ExecutionRow From(ExecutionSummary s, UserDirectory users, StallLine stall) => new()
    {
        Fid = s.Fid,
        UserId = s.UserId,
        UserName = users.NameOf(s.UserId),
        AgentName = s.AgentName,
        Status = StatusOf(s),
        Meta = s.MetaJson is { } json ? new JsonText(json) : null,
        Error = s.LatestError,
        ErrorTimestamp = s.LatestErrorTimestamp,
        StartTime = s.StartTime,
        EndTime = s.LastTimestamp,
        Runtime = s.Runtime,
        UploadCount = s.UploadCount,
        DownloadCount = s.DownloadCount,
        ErrorCount = s.ErrorCount,
        EventCount = s.EventCount,
        Tags = s.Tags,
        Problem = s.Problem,
        Warning = s.Warning,
        Quarantined = s.Quarantine is { } q ? new QuarantineView(q.Reason, q.Since, q.RetryAt) : null,
        Stalled = stall.IsStalled(s),
    };

    public static string StatusOf(ExecutionSummary s) => s.Status ?? UnknownStatus;
}

/// <summary>Why an execution is quarantined, since when and when its database is read next (Unix seconds).</summary>
public sealed record QuarantineView(string Reason, double Since, double RetryAt);
