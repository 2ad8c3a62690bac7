using System.ComponentModel.DataAnnotations;

namespace Kodosumi.Indexer.Alerts;

/// <summary>Webhooks that tell people about errors and stalled runs, bound from the <c>Alerts</c> section.</summary>
public sealed class AlertOptions : IValidatableObject
{
    public const string Section = "Alerts";

    public List<WebhookOptions> Webhooks { get; set; } = [];

    /// <summary>The address people open the dashboard at; an alert's <c>url</c> starts with it.</summary>
    public string PublicUrl { get; set; } = "http://localhost:3371";

    /// <summary>The first pause after a failed delivery; each next one doubles (with jitter) up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan FirstRetryDelay { get; set; } = TimeSpan.FromSeconds(2);

    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromHours(1);

    /// <summary>An alert still undelivered this long after it was written is dropped (and counted).</summary>
    public TimeSpan GiveUpAfter { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How long one POST may take: a slow receiver delays only its own alerts.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    public IEnumerable<ValidationResult> Validate(ValidationContext context)
    {
        for (var i = 0; i < Webhooks.Count; i++)
        {
            var hook = Webhooks[i];
            var name = $"{Section}:Webhooks:{i}";
            if (!Uri.TryCreate(hook.Url, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
                yield return new ValidationResult($"{name}:Url must be an absolute http or https address, got '{hook.Url}'", [nameof(Webhooks)]);
            foreach (var e in hook.EventList().Where(e => !AlertEvents.All.Contains(e)))
                yield return new ValidationResult($"{name}:Events may name {string.Join(", ", AlertEvents.All)}; '{e}' is none of them", [nameof(Webhooks)]);
            if (hook.Format is not (WebhookOptions.Json or WebhookOptions.Slack))
                yield return new ValidationResult($"{name}:Format must be json or slack, got '{hook.Format}'", [nameof(Webhooks)]);
        }
        if (FirstRetryDelay <= TimeSpan.Zero || MaxRetryDelay < FirstRetryDelay)
            yield return new ValidationResult($"{Section}:FirstRetryDelay must be above 0 and at most MaxRetryDelay", [nameof(FirstRetryDelay)]);
        if (GiveUpAfter <= TimeSpan.Zero)
            yield return new ValidationResult($"{Section}:GiveUpAfter must be above 0", [nameof(GiveUpAfter)]);
        if (RequestTimeout <= TimeSpan.Zero)
            yield return new ValidationResult($"{Section}:RequestTimeout must be above 0", [nameof(RequestTimeout)]);
    }
}

/// <summary>One receiver: where, which events of which agents, how the body looks and whether it is signed.</summary>
public sealed class WebhookOptions
{
    public const string Json = "json", Slack = "slack";

    public string Url { get; set; } = "";
    /// <summary>Comma-separated: <c>error</c>, <c>stalled</c>, <c>finished</c>, <c>status</c>.</summary>
    public string Events { get; set; } = "error,stalled";
    /// <summary>Comma-separated agent names (as the dashboard shows them); every agent when empty.</summary>
    public string? Agents { get; set; }
    /// <summary>When set, each request carries <c>X-Kodosumi-Signature: sha256=&lt;HMAC of the body&gt;</c>.</summary>
    public string? Secret { get; set; }
    /// <summary><c>json</c>, or <c>slack</c>: <c>{"text": …}</c>, which Slack, Mattermost and Teams accept.</summary>
    public string Format { get; set; } = Json;

    public IReadOnlyList<string> EventList() => Split(Events);

    public bool Wants(string alertEvent, string agentName) =>
        EventList().Contains(alertEvent) && (string.IsNullOrWhiteSpace(Agents) || Split(Agents).Contains(agentName));

    static string[] Split(string? list) =>
        (list ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
}

public static class AlertEvents
{
    public const string Error = "error", Stalled = "stalled", Finished = "finished", Status = "status";
    public static readonly string[] All = [Error, Stalled, Finished, Status];
}
