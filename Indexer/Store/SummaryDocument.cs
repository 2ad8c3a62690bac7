using Kodosumi.Shared.Model;
using LiteDB;

namespace Kodosumi.Indexer.Store;

/// <summary>
/// Reads a stored summary by hand, as <see cref="BsonMapper"/> would have read it: a field it did not write (a null, an
/// empty string) keeps the summary's default. The load reads every document, and by reflection the mapper took most of it.
/// </summary>
static class SummaryDocument
{
    static readonly ExecutionSummary Defaults = new();

    public static ExecutionSummary Read(BsonDocument d) => new()
    {
        Fid = Text(d, "_id") ?? Defaults.Fid,
        UserId = Text(d, nameof(ExecutionSummary.UserId)) ?? Defaults.UserId,
        AgentName = Text(d, nameof(ExecutionSummary.AgentName)) ?? Defaults.AgentName,
        Status = Text(d, nameof(ExecutionSummary.Status)),
        StatusTimestamp = Number(d, nameof(ExecutionSummary.StatusTimestamp)) ?? 0,
        StatusEventId = Integer(d, nameof(ExecutionSummary.StatusEventId)) ?? 0,
        FirstTimestamp = Number(d, nameof(ExecutionSummary.FirstTimestamp)),
        LastTimestamp = Number(d, nameof(ExecutionSummary.LastTimestamp)),
        Runtime = Number(d, nameof(ExecutionSummary.Runtime)),
        LatestError = Text(d, nameof(ExecutionSummary.LatestError)),
        LatestErrorTimestamp = Number(d, nameof(ExecutionSummary.LatestErrorTimestamp)),
        LatestErrorEventId = Integer(d, nameof(ExecutionSummary.LatestErrorEventId)) ?? 0,
        ErrorCount = (int)(Integer(d, nameof(ExecutionSummary.ErrorCount)) ?? 0),
        EventCount = Integer(d, nameof(ExecutionSummary.EventCount)) ?? 0,
        UploadCount = (int)(Integer(d, nameof(ExecutionSummary.UploadCount)) ?? 0),
        DownloadCount = (int)(Integer(d, nameof(ExecutionSummary.DownloadCount)) ?? 0),
        Tags = d.TryGetValue(nameof(ExecutionSummary.Tags), out var tags) && tags.IsArray
            ? [.. tags.AsArray.Select(t => t.AsString)]
            : [],
        MetaJson = Text(d, nameof(ExecutionSummary.MetaJson)) is { } meta ? Utf8Json.Parse(meta) : null,
        LastFoldedId = Integer(d, nameof(ExecutionSummary.LastFoldedId)) ?? 0,
        SourceIdentity = Text(d, nameof(ExecutionSummary.SourceIdentity)),
        // A text that is not a stamp reads as none, which refolds the execution.
        SourceStamp = SourceStamp.Parse(Text(d, nameof(ExecutionSummary.SourceStamp))),
        Problem = Text(d, nameof(ExecutionSummary.Problem)),
        FailedReads = (int)(Integer(d, nameof(ExecutionSummary.FailedReads)) ?? 0),
        Quarantine = d.TryGetValue(nameof(ExecutionSummary.Quarantine), out var q) && q.IsDocument ? QuarantineOf(q.AsDocument) : null,
        Warning = Text(d, nameof(ExecutionSummary.Warning)),
    };

    static Quarantine QuarantineOf(BsonDocument d) => new()
    {
        Reason = Text(d, nameof(Quarantine.Reason)) ?? "",
        Since = Number(d, nameof(Quarantine.Since)) ?? 0,
        TriedAt = Number(d, nameof(Quarantine.TriedAt)) ?? 0,
        RetryAt = Number(d, nameof(Quarantine.RetryAt)) ?? 0,
        Hard = d.TryGetValue(nameof(Quarantine.Hard), out var hard) && hard.IsBoolean && hard.AsBoolean,
    };

    static string? Text(BsonDocument d, string field) => d.TryGetValue(field, out var v) && v.IsString ? v.AsString : null;

    static double? Number(BsonDocument d, string field) => d.TryGetValue(field, out var v) && v.IsNumber ? v.AsDouble : null;

    static long? Integer(BsonDocument d, string field) => d.TryGetValue(field, out var v) && v.IsNumber ? v.AsInt64 : null;
}
