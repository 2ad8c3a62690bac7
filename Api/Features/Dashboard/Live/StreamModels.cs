using System.Globalization;
using FastEndpoints;
using FluentValidation;

namespace Kodosumi.Api.Features.Dashboard.Live;

public sealed class StreamRequest
{
    /// <summary>What a browser's EventSource sends when it reconnects by itself.</summary>
    [FromHeader("Last-Event-ID", IsRequired = false)] public string? LastEventIdHeader { get; init; }

    /// <summary>The same for clients that cannot set headers (a new EventSource after a page reload).</summary>
    [BindFrom("last_event_id")] public string? LastEventId { get; init; }

    /// <summary>The header wins: it is the newer of the two when an EventSource opened with the query reconnects.</summary>
    public string? ResumeFrom => LastEventIdHeader ?? LastEventId;
}

public sealed class StreamValidator : Validator<StreamRequest>
{
    public StreamValidator()
    {
        RuleFor(r => r.LastEventIdHeader).Must(id => id is null || StreamEventId.TryParse(id, out _, out _))
            .OverridePropertyName("Last-Event-ID").WithMessage("Last-Event-ID must be an id this stream sent, such as 1a2b3c4d-42");
        RuleFor(r => r.LastEventId).Must(id => id is null || StreamEventId.TryParse(id, out _, out _))
            .OverridePropertyName("last_event_id").WithMessage("last_event_id must be an id this stream sent, such as 1a2b3c4d-42");
    }
}

/// <summary>An event's id: the process's epoch and the event's sequence, <c>{epoch}-{sequence}</c>.</summary>
public static class StreamEventId
{
    public static string Format(string epoch, long sequence) => string.Create(CultureInfo.InvariantCulture, $"{epoch}-{sequence}");

    public static bool TryParse(string id, out string epoch, out long sequence)
    {
        var dash = id.LastIndexOf('-');
        epoch = dash > 0 ? id[..dash] : "";
        sequence = 0;
        return dash > 0 && long.TryParse(id.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out sequence);
    }
}

/// <summary>The <c>data:</c> of an <c>execution</c>, <c>status</c>, <c>error</c> or <c>removed</c> event (snake_case JSON).</summary>
public sealed record StreamMessage(
    string Fid, string UserId, string AgentName, string Status, string? PreviousStatus, double? Timestamp, long? ErrorEventId);
