using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using FastEndpoints;
using Kodosumi.Api.Auth;
using Kodosumi.Api.Caching;
using Kodosumi.Api.Hosting;
using Kodosumi.Indexer;
using Kodosumi.Indexer.Store;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace Kodosumi.Api.Features.Dashboard.Live;

/// <summary>
/// Server-Sent Events: every change the index applies that the user may see, as it is applied. Each
/// event has an <c>id:</c>; a client that reconnects with <c>Last-Event-ID</c> gets what it missed
/// from the indexer's ring of recent events, or a <c>reset</c> event (reload everything) when they
/// are gone or the id is of an earlier run. A <c>heartbeat</c> event (no id, so resume positions stay)
/// opens the stream and follows every quiet interval: clients learn the interval from it and can tell a
/// live stream from one a buffering proxy holds back. The stream
/// ends when the token expires or is given up, or the role is deactivated or changes rights; the
/// client's reconnect is then checked like any request. It also ends when the service stops, so that a
/// shutdown does not wait for open streams.
/// </summary>
public sealed class StreamEndpoint(IndexEvents events, IOptions<StreamOptions> options, TimeProvider time, Accounts accounts, RevokedTokens revoked,
    IHostApplicationLifetime lifetime)
    : Endpoint<StreamRequest>
{
    public const string Reset = IndexEvent.Reset;
    public const string Heartbeat = "heartbeat";

    static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        // A writer's infinite timestamp must not end the stream (and every reconnect's replay of it).
        Converters = { new Hosting.FiniteNumbers() },
    };

    public override void Configure()
    {
        Get("stream");
        Group<DashboardGroup>();
        Options(b => b.WithMetadata(NotFromIndex.Instance));
        Description(d => d.Produces(StatusCodes.Status200OK, typeof(string), "text/event-stream"));
    }

    public override async Task HandleAsync(StreamRequest req, CancellationToken requestAborted)
    {
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(requestAborted, lifetime.ApplicationStopping);
        var ct = stopping.Token;
        var viewer = Viewer.Of(User);
        var heartbeat = options.Value.HeartbeatInterval;
        var response = HttpContext.Response;
        HttpContext.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no"; // nginx would otherwise hold events back

        var (after, resetReason) = Resume(viewer, req.ResumeFrom);
        // The token that signed this request in, whichever way it came (cookie, header or bearer).
        var token = KodosumiTokens.AuthenticatingTokenOf(HttpContext.Request);
        var expires = (await HttpContext.AuthenticateAsync()).Properties?.ExpiresUtc;
        try
        {
            await Write(response, "retry: 3000\n\n" + HeartbeatFrame(heartbeat), ct);
            if (resetReason is not null) await WriteReset(response, viewer, after, resetReason, ct);
            var lastWrite = time.GetTimestamp();
            while (!ct.IsCancellationRequested && StillAllowed(viewer, token, expires))
            {
                var (batch, next) = events.Read(after);
                if (batch is null)
                {
                    // This client fell further behind than the ring reaches; a user none of whose events were lost is not told.
                    var missed = viewer.IsOperator || events.LastVisibleTo(viewer.UserId) > after;
                    after = events.LastSequence;
                    if (!missed) continue;
                    await WriteReset(response, viewer, after, "events were missed", ct);
                    lastWrite = time.GetTimestamp();
                    continue;
                }
                var sent = new StringBuilder();
                foreach (var e in batch)
                {
                    after = e.Sequence;
                    if (e.Type == IndexEvent.Reset) AppendEvent(sent, viewer, Reset, after, new { reason = "the index was reloaded" });
                    else if (viewer.CanSee(e.UserId)) AppendEvent(sent, viewer, e.Type, after, Message(e));
                }
                if (sent.Length > 0)
                {
                    await Write(response, sent.ToString(), ct);
                    lastWrite = time.GetTimestamp();
                }
                var quiet = heartbeat - time.GetElapsedTime(lastWrite);
                if (quiet <= TimeSpan.Zero || !await Within(next, quiet, ct))
                {
                    if (next.IsCompleted) continue;
                    await Write(response, HeartbeatFrame(heartbeat), ct);
                    lastWrite = time.GetTimestamp();
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The client went away, or the service is stopping.
        }
    }

    /// <summary>What authentication checks at every request, checked again while the stream is open.</summary>
    bool StillAllowed(Viewer viewer, string? token, DateTimeOffset? expires) =>
        (expires is null || time.GetUtcNow() < expires)
        && (token is null || !revoked.IsRevoked(token))
        && accounts.Find(viewer.UserId) is { Active: true } user && user.Operator == viewer.IsOperator;

    /// <summary>
    /// Where to start: after the client's last event, or from now (with the reason for a reset). A non-operator whose
    /// own last event is not after their id has missed nothing, however much others did meanwhile.
    /// </summary>
    (long After, string? ResetReason) Resume(Viewer viewer, string? lastEventId)
    {
        var now = events.LastSequence;
        if (lastEventId is null) return (now, null);
        if (!StreamEventId.TryRead(viewer, lastEventId, out var epoch, out var sequence) || epoch != events.Epoch)
            return (now, "the service restarted");
        if (!viewer.IsOperator && sequence >= events.LastVisibleTo(viewer.UserId)) return (now, null);
        return events.Read(sequence).Events is null ? (now, "events were missed") : (sequence, null);
    }

    async Task<bool> Within(Task next, TimeSpan wait, CancellationToken ct)
    {
        try
        {
            await next.WaitAsync(wait, time, ct);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    static StreamMessage Message(IndexEvent e) =>
        new(e.Fid, e.UserId, e.AgentName, e.Status ?? "unknown", e.PreviousStatus, e.Timestamp, e.ErrorEventId);

    /// <summary>A reset names where the client now stands: for a non-operator, at their own last event (others' do not move it).</summary>
    Task WriteReset(HttpResponse response, Viewer viewer, long after, string reason, CancellationToken ct)
    {
        var frame = new StringBuilder();
        AppendEvent(frame, viewer, Reset, viewer.IsOperator ? after : Math.Min(after, events.LastVisibleTo(viewer.UserId)), new { reason });
        return Write(response, frame.ToString(), ct);
    }

    /// <summary>
    /// <c>{"interval": seconds, "time": unix seconds}</c>, without an <c>id:</c> line: an event without one
    /// leaves the client's last event id as it was. Formatted by hand, as it goes out on every quiet stream.
    /// </summary>
    string HeartbeatFrame(TimeSpan interval) => string.Create(CultureInfo.InvariantCulture,
        $"event: {Heartbeat}\ndata: {{\"interval\": {interval.TotalSeconds:R}, \"time\": {time.GetUtcNow().ToUnixTimeSeconds()}}}\n\n");

    // SSE frames are written here rather than with SseFormatter, which would need an SseItem per frame.
    // System.Text.Json writes one line, so each event's data is a single data: line.
    void AppendEvent(StringBuilder frame, Viewer viewer, string type, long sequence, object data) =>
        frame.Append("id: ").Append(StreamEventId.Format(events.Epoch, viewer, sequence)).Append('\n')
            .Append("event: ").Append(type).Append('\n')
            .Append("data: ").Append(JsonSerializer.Serialize(data, Json)).Append("\n\n");

    static async Task Write(HttpResponse response, string text, CancellationToken ct)
    {
        await response.WriteAsync(text, ct);
        await response.Body.FlushAsync(ct);
    }
}
