namespace Kodosumi.Shared.Model;

/// <summary>
/// Everything the dashboard needs to know about one execution, folded from its monitor rows.
/// One document per execution in the index; the cursor (<see cref="LastFoldedId"/>) travels with it,
/// so a summary and the position it was folded to are always written together.
/// </summary>
public sealed record ExecutionSummary
{
    public string Fid { get; init; } = "";
    /// <summary>The user's UUID in hyphenated form, as the execution folder names it.</summary>
    public string UserId { get; init; } = "";
    public string AgentName { get; init; } = SummaryFold.UnknownAgent;
    /// <summary>Latest status by (timestamp, id); null until a status event arrives.</summary>
    public string? Status { get; init; }
    public double StatusTimestamp { get; init; }
    public long StatusEventId { get; init; }
    public double? FirstTimestamp { get => OrNull(_firstTimestamp); init => _firstTimestamp = value ?? double.NaN; }
    public double? LastTimestamp { get => OrNull(_lastTimestamp); init => _lastTimestamp = value ?? double.NaN; }
    public double? Runtime { get => OrNull(_runtime); init => _runtime = value ?? double.NaN; }
    public string? LatestError { get; init; }
    public double? LatestErrorTimestamp { get => OrNull(_latestErrorTimestamp); init => _latestErrorTimestamp = value ?? double.NaN; }
    public long LatestErrorEventId { get; init; }
    public int ErrorCount { get; init; }
    public long EventCount { get; init; }
    public int UploadCount { get; init; }
    public int DownloadCount { get; init; }
    public List<string> Tags { get; init; } = [];
    /// <summary>The first meta object (the <c>dict</c> wrapper removed) as JSON text.</summary>
    public Utf8Json? MetaJson { get; init; }
    /// <summary>The highest monitor id folded so far: the incremental cursor.</summary>
    public long LastFoldedId { get; init; }
    /// <summary>Fingerprint of the database's first row: a different value means the file was recreated.</summary>
    public string? SourceIdentity { get; init; }
    /// <summary>Sizes and times of the source files when last folded; a rescan refolds when they differ.</summary>
    public SourceStamp? SourceStamp { get; init; }
    /// <summary>Why the execution could not be read the last time it was tried; null when it read cleanly.</summary>
    public string? Problem { get; init; }
    /// <summary>Reads of the database that failed in a row (after their retries); 0 once it reads cleanly.</summary>
    public int FailedReads { get; init; }
    /// <summary>Set while the execution's circuit breaker is open: its database is not read until the probe.</summary>
    public Quarantine? Quarantine { get; init; }
    /// <summary>The first malformed event seen (invalid JSON or UTF-8); the event is still counted.</summary>
    public string? Warning { get; init; }

    /// <summary>Creation time of the execution, from its BSON ObjectId, used when no event has a timestamp yet.</summary>
    public double CreatedAt => Fids.CreationTime(Fid) ?? 0;

    public double StartTime => FirstTimestamp ?? CreatedAt;

    // Held as NaN when absent: a double? takes twice the bytes of a double, and SQLite never stores a NaN.
    double _firstTimestamp = double.NaN, _lastTimestamp = double.NaN, _runtime = double.NaN, _latestErrorTimestamp = double.NaN;

    static double? OrNull(double value) => double.IsNaN(value) ? null : value;

    public bool HasError => ErrorCount > 0 || string.Equals(Status, "error", StringComparison.OrdinalIgnoreCase);
}
