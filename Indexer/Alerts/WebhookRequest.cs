using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Kodosumi.Indexer.Alerts;

/// <summary>The POST one alert makes: its body (JSON, or Slack's <c>{"text": …}</c>) and, with a secret, its HMAC signature.</summary>
internal static class WebhookRequest
{
    public const string SignatureHeader = "X-Kodosumi-Signature";

    static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static HttpRequestMessage Build(OutboxAlert alert, WebhookOptions hook, string publicUrl)
    {
        var body = Body(alert, hook.Format, publicUrl);
        var request = new HttpRequestMessage(HttpMethod.Post, hook.Url)
        {
            Content = new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" } } },
        };
        if (!string.IsNullOrEmpty(hook.Secret)) request.Headers.Add(SignatureHeader, Signature(body, hook.Secret));
        request.Headers.Add("X-Kodosumi-Alert-Id", alert.AlertId);
        return request;
    }

    /// <summary><c>sha256=</c> and the lowercase hex HMAC-SHA256 of the body's bytes, keyed with the secret's UTF-8 bytes.</summary>
    public static string Signature(byte[] body, string secret) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));

    public static byte[] Body(OutboxAlert alert, string format, string publicUrl)
    {
        var url = UrlOf(alert, publicUrl);
        if (format == WebhookOptions.Slack) return JsonSerializer.SerializeToUtf8Bytes(new { text = SlackText(alert, url) }, Json);
        return JsonSerializer.SerializeToUtf8Bytes(new
        {
            id = alert.AlertId, @event = alert.Event, fid = alert.Fid, user_id = alert.UserId, agent_name = alert.AgentName,
            status = alert.Status, previous_status = alert.PreviousStatus, error = alert.Error,
            timestamp = alert.Timestamp is { } t && double.IsFinite(t) ? t : (double?)null, url,
        }, Json);
    }

    /// <summary>The dashboard page showing this execution alone (its fid as the search, over all time).</summary>
    public static string UrlOf(OutboxAlert alert, string publicUrl) =>
        $"{publicUrl.TrimEnd('/')}/admin/dashboard?hours=999999&q={Uri.EscapeDataString(alert.Fid)}";

    static string SlackText(OutboxAlert alert, string url)
    {
        var what = alert.Event switch
        {
            AlertEvents.Error => "reported an error",
            AlertEvents.Stalled => $"is stalled ({alert.Status}, no event since {When(alert.Timestamp)})",
            AlertEvents.Finished => "finished",
            _ => $"is now {alert.Status}" + (alert.PreviousStatus is { } p ? $" (was {p})" : ""),
        };
        var text = $"Kodosumi: {alert.AgentName} ({alert.Fid}) {what}. <{url}|Open in the dashboard>";
        if (alert.Error is { Length: > 0 } error) text += "\n```" + (error.Length > 1500 ? error[..1500] + "…" : error) + "```";
        return text;
    }

    static string When(double? unix) => unix is { } t && double.IsFinite(t)
        ? DateTimeOffset.FromUnixTimeMilliseconds((long)(t * 1000)).ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture)
        : "unknown";
}
