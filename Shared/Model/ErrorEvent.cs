namespace Kodosumi.Shared.Model;

/// <summary>An <c>error</c> monitor event, kept in the index so <c>/errors</c> needs no execution database.</summary>
public sealed record ErrorEvent
{
    /// <summary>"{fid}:{event id}" — unique, so replaying a batch overwrites instead of duplicating.</summary>
    public string Id { get; init; } = "";
    public string Fid { get; init; } = "";
    public string UserId { get; init; } = "";
    public long EventId { get; init; }
    public double Timestamp { get; init; }
    public string Message { get; init; } = "";

    public static string KeyOf(string fid, long eventId) => $"{fid}:{eventId}";
}
