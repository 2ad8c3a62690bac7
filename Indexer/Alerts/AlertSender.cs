using Kodosumi.Indexer.Store;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;

namespace Kodosumi.Indexer.Alerts;

/// <summary>
/// Delivers the outbox, one loop per webhook: the oldest alert first, retried with exponential back-off and
/// jitter until it is delivered or a day old (then dropped and counted), and only then the next, so each
/// execution's alerts arrive in order. An alert leaves the outbox after its receiver said 2xx: a crash in
/// between sends it again with the same id. Runs beside the indexer: a slow receiver delays nothing else.
/// </summary>
internal sealed class AlertSender(IndexStore store, AlertCounters counters, IOptions<AlertOptions> options, TimeProvider time, ILogger<AlertSender> logger)
    : BackgroundService
{
    /// <summary>How often an idle loop looks at the outbox when no commit woke it (alerts written by another loop's wake-up).</summary>
    static readonly TimeSpan Poll = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (settings.Webhooks.Count == 0) return;
        using var http = new HttpClient { Timeout = settings.RequestTimeout };
        await Task.WhenAll(Enumerable.Range(0, settings.Webhooks.Count).Select(i => Task.Run(() => Deliver(i, http, stoppingToken), CancellationToken.None)));
    }

    async Task Deliver(int webhook, HttpClient http, CancellationToken stop)
    {
        var hook = options.Value.Webhooks[webhook];
        while (!stop.IsCancellationRequested)
        {
            var next = Read(() => store.NextAlert(webhook));
            if (next is null)
            {
                try
                {
                    await counters.WaitWrittenAsync(Poll, stop);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                continue;
            }
            var delivered = await Pipeline(next, stop).ExecuteAsync(async ct => await Post(http, next, hook, ct), stop);
            if (stop.IsCancellationRequested) return; // undelivered: it stays in the outbox for the next start
            if (delivered) counters.CountSent();
            else
            {
                counters.CountDropped();
                logger.LogWarning("Alert {Id} ({Event} of {Fid}) to webhook {Webhook} given up after {After}", next.AlertId, next.Event, next.Fid, webhook,
                    options.Value.GiveUpAfter);
            }
            Read(() =>
            {
                store.RemoveAlert(next.Id);
                return next;
            });
        }
    }

    /// <summary>Retries a failed POST until it succeeds, the alert is too old, or the service stops.</summary>
    ResiliencePipeline<bool> Pipeline(OutboxAlert alert, CancellationToken stop)
    {
        var settings = options.Value;
        var giveUpAt = alert.CreatedAt + settings.GiveUpAfter.TotalSeconds;
        return new ResiliencePipelineBuilder<bool> { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions<bool>
            {
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Result == false && !stop.IsCancellationRequested && Now() < giveUpAt),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = settings.FirstRetryDelay,
                MaxDelay = settings.MaxRetryDelay,
                MaxRetryAttempts = int.MaxValue,
                OnRetry = args =>
                {
                    counters.CountRetry();
                    logger.LogDebug("Alert {Id} to webhook {Webhook}: try {Attempt} failed, next in {Delay}", alert.AlertId, alert.Webhook,
                        args.AttemptNumber + 1, args.RetryDelay);
                    return default;
                },
            })
            .Build();
    }

    async Task<bool> Post(HttpClient http, OutboxAlert alert, WebhookOptions hook, CancellationToken ct)
    {
        try
        {
            using var request = WebhookRequest.Build(alert, hook, options.Value.PublicUrl);
            using var response = await http.SendAsync(request, ct);
            if (!response.IsSuccessStatusCode)
                logger.LogDebug("Alert {Id} to webhook {Webhook}: {Status}", alert.AlertId, alert.Webhook, (int)response.StatusCode);
            return response.IsSuccessStatusCode;
        }
        // A refused connection, a reset or a timeout: the receiver is down or slow, which retrying covers.
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            logger.LogDebug("Alert {Id} to webhook {Webhook}: {Reason}", alert.AlertId, alert.Webhook, e.Message);
            return false;
        }
    }

    double Now() => time.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0;

    /// <summary>The index is being reopened after a failed write: the outbox is read again at the next look.</summary>
    T? Read<T>(Func<T?> read) where T : class
    {
        try
        {
            return read();
        }
        catch (IndexStoreException e)
        {
            logger.LogDebug("Outbox not readable now: {Reason}", e.Message);
            return null;
        }
    }
}
