using System.Text.Json;
using Kodosumi.Shared.Model;

namespace Kodosumi.Shared;

/// <summary>What one fold step produced: the new summary and the error events among the new rows.</summary>
public sealed record FoldResult(ExecutionSummary Summary, IReadOnlyList<ErrorEvent> Errors);

/// <summary>
/// Folds monitor rows into an execution summary. Pure: no disk, no clock, no DI. Rows at or below the
/// summary's cursor are ignored, so replaying a batch after a crash changes nothing.
/// </summary>
public static class SummaryFold
{
    public const string UnknownAgent = "Unknown";

    /// <summary>Kinds whose message the fold reads; the reader may leave other messages unfetched.</summary>
    public static readonly IReadOnlySet<string> KindsWithUsedMessage = new HashSet<string> { "status", "meta", "error" };

    public static FoldResult Fold(ExecutionSummary previous, IEnumerable<MonitorRow> rows)
    {
        var s = previous;
        var errors = new List<ErrorEvent>();
        foreach (var row in rows.OrderBy(r => r.Id))
        {
            if (row.Id <= s.LastFoldedId) continue;
            s = s with
            {
                LastFoldedId = row.Id,
                EventCount = s.EventCount + 1,
                FirstTimestamp = s.FirstTimestamp is { } first ? Math.Min(first, row.Timestamp) : row.Timestamp,
                LastTimestamp = s.LastTimestamp is { } last ? Math.Max(last, row.Timestamp) : row.Timestamp,
            };
            if (row.MessageWasInvalidUtf8)
                s = WithWarning(s, row, "message is not valid UTF-8");
            s = row.Kind switch
            {
                "status" => FoldStatus(s, row),
                "meta" => FoldMeta(s, row),
                "error" => FoldError(s, row, errors),
                _ => s,
            };
        }
        return new FoldResult(s with { Runtime = s.LastTimestamp - s.FirstTimestamp }, errors);
    }

    /// <summary>The state is the latest status by timestamp, ties broken by id.</summary>
    static ExecutionSummary FoldStatus(ExecutionSummary s, MonitorRow row)
    {
        var status = row.Message?.Trim();
        if (string.IsNullOrEmpty(status)) return WithWarning(s, row, "empty status");
        var isLater = s.Status is null
            || row.Timestamp > s.StatusTimestamp
            || (row.Timestamp == s.StatusTimestamp && row.Id > s.StatusEventId);
        return isLater ? s with { Status = status, StatusTimestamp = row.Timestamp, StatusEventId = row.Id } : s;
    }

    /// <summary>The first meta event that parses to an object names the agent; later ones are ignored.</summary>
    static ExecutionSummary FoldMeta(ExecutionSummary s, MonitorRow row)
    {
        if (s.MetaJson is not null) return s;
        var meta = ParseMeta(row.Message);
        if (meta is not { } m) return WithWarning(s, row, "meta is not a JSON object");
        return s with { MetaJson = Utf8Json.Of(m), AgentName = AgentNameOf(m), Tags = TagsOf(m) };
    }

    static ExecutionSummary FoldError(ExecutionSummary s, MonitorRow row, List<ErrorEvent> errors)
    {
        var message = row.Message ?? "";
        errors.Add(new ErrorEvent
        {
            Id = ErrorEvent.KeyOf(s.Fid, row.Id), Fid = s.Fid, UserId = s.UserId,
            EventId = row.Id, Timestamp = row.Timestamp, Message = message,
        });
        var isLater = s.LatestErrorTimestamp is not { } t
            || row.Timestamp > t
            || (row.Timestamp == t && row.Id > s.LatestErrorEventId);
        s = s with { ErrorCount = s.ErrorCount + 1 };
        return isLater ? s with { LatestError = message, LatestErrorTimestamp = row.Timestamp, LatestErrorEventId = row.Id } : s;
    }

    /// <summary>Meta is normally <c>{"dict": {...}}</c> and sometimes the bare object.</summary>
    public static JsonElement? ParseMeta(string? message)
    {
        if (string.IsNullOrWhiteSpace(message)) return null;
        try
        {
            using var doc = JsonDocument.Parse(message);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return null;
            var meta = root.TryGetProperty("dict", out var inner) && inner.ValueKind == JsonValueKind.Object ? inner : root;
            return meta.Clone();
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Kodosumi's rule: <c>meta.summary</c>, else <c>meta.entry_point</c>, else "Unknown".</summary>
    public static string AgentNameOf(JsonElement meta)
    {
        foreach (var key in (ReadOnlySpan<string>)["summary", "entry_point"])
        {
            if (meta.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(v.GetString()))
                return v.GetString()!;
        }
        return UnknownAgent;
    }

    static List<string> TagsOf(JsonElement meta) =>
        meta.TryGetProperty("tags", out var tags) && tags.ValueKind == JsonValueKind.Array
            ? tags.EnumerateArray().Where(t => t.ValueKind == JsonValueKind.String).Select(t => t.GetString()!).Distinct().ToList()
            : [];

    static ExecutionSummary WithWarning(ExecutionSummary s, MonitorRow row, string what) =>
        s.Warning is null ? s with { Warning = $"event {row.Id} ({row.Kind}): {what}" } : s;
}
