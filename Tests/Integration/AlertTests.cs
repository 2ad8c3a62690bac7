using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Kodosumi.Shared;
using Kodosumi.Shared.Demo;
using Kodosumi.TestSupport;
using Kodosumi.Tests.Resilience;
using Kodosumi.Tests.Support;

namespace Kodosumi.Tests.Integration;

/// <summary>
/// Webhook alerts against a receiver on loopback, while a separate <c>sqlite3</c> process writes executions:
/// what is sent and how it is signed and shaped, in order, retried while the receiver answers 500, nothing for
/// the history the first scan finds, and nothing lost when the service is killed with alerts pending.
/// </summary>
[Category("Integration")]
public class AlertTests : InProcessHostTest
{
    const string Secret = "s3cret";
    const string PublicUrl = "http://dash.example";
    static readonly DemoUser Alice = DemoDataGenerator.Users[1];
    WebhookReceiver _receiver = null!;
    int _receivedAfterFirstScan;

    static Dictionary<string, string?> Webhooks(WebhookReceiver receiver) => new()
    {
        ["Alerts:PublicUrl"] = PublicUrl,
        ["Alerts:FirstRetryDelay"] = "00:00:00.050",
        ["Alerts:MaxRetryDelay"] = "00:00:00.400",
        ["Alerts:Webhooks:0:Url"] = receiver.Url("json"),
        ["Alerts:Webhooks:0:Events"] = "error,stalled,finished,status",
        ["Alerts:Webhooks:0:Secret"] = Secret,
        ["Alerts:Webhooks:1:Url"] = receiver.Url("slack"),
        ["Alerts:Webhooks:1:Format"] = "slack",
        ["Alerts:Webhooks:2:Url"] = receiver.Url("flaky"),
        ["Alerts:Webhooks:3:Url"] = receiver.Url("one-agent"),
        ["Alerts:Webhooks:3:Agents"] = "Alerting Agent, Someone Else",
        ["Indexer:WatchFinishedFor"] = "365.00:00:00",
    };

    [OneTimeSetUp]
    public async Task Start()
    {
        _receiver = new WebhookReceiver();
        // History with errors, finished and running executions: none of it may be sent.
        CreateDataDir("kodo-alerts", new DemoOptions { Executions = 80, Seed = 12, LargeResultEvery = 0 });
        await StartHostAsync(settings: Webhooks(_receiver));
        // Rescans come every second here: two of them after the first would have found anything mistaken for new.
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        _receivedAfterFirstScan = _receiver.Received.Count;
    }

    [OneTimeTearDown]
    public void Stop()
    {
        StopHost();
        _receiver.Dispose();
    }

    /// <summary>A new execution of Alice's, written by a separate process; each call appends and commits one event.</summary>
    static (string Fid, SqliteCliWriter Writer) NewExecution(string root, string agent)
    {
        var fid = Fids.New(DateTimeOffset.UtcNow, Random.Shared);
        var writer = SqliteCliWriter.Open(Path.Combine(root, Alice.FolderName, fid, "sqlite3.db"));
        writer.Append("status", "starting");
        writer.Append("meta", JsonSerializer.Serialize(new { dict = new { summary = agent } }));
        return (fid, writer);
    }

    static double Now => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;

    static List<ReceivedHook> Of(List<ReceivedHook> hooks, string fid) =>
        hooks.Where(h => h.Answered == 200 && h.Json.TryGetProperty("fid", out var f) && f.GetString() == fid).ToList();

    [Test]
    public void The_history_the_first_scan_finds_sends_nothing() =>
        Assert.That(_receivedAfterFirstScan, Is.Zero, "80 executions with errors and statuses were indexed, none of them new");

    [Test]
    public async Task An_error_is_posted_signed_with_its_fields_and_to_slack_as_text()
    {
        var (fid, writer) = NewExecution(Host.ExecutionRoot, "Alerting Agent");
        double at;
        using (writer)
        {
            await Task.Delay(300);
            at = Now;
            writer.Append("error", "Traceback (most recent call last):\nValueError: \"quoted\" <b>", at);
        }

        var json = await _receiver.Until("json", r => Of(r, fid).Any(h => h.Json.GetProperty("event").GetString() == "error"), "the error reaches the JSON webhook");
        var error = Of(json, fid).Single(h => h.Json.GetProperty("event").GetString() == "error");
        var expectedSignature = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), error.Body));
        Assert.That(error.Signature, Is.EqualTo(expectedSignature), "HMAC-SHA256 of the body's bytes with the secret");
        var body = error.Json;
        Assert.That(body.GetProperty("id").GetString(), Is.Not.Empty);
        Assert.That(body.GetProperty("user_id").GetString(), Is.EqualTo(Alice.FolderName));
        Assert.That(body.GetProperty("agent_name").GetString(), Is.EqualTo("Alerting Agent"));
        Assert.That(body.GetProperty("status").GetString(), Is.EqualTo("starting"));
        Assert.That(body.GetProperty("error").GetString(), Is.EqualTo("Traceback (most recent call last):\nValueError: \"quoted\" <b>"));
        Assert.That(body.GetProperty("timestamp").GetDouble(), Is.EqualTo(at).Within(1e-6));
        Assert.That(body.GetProperty("url").GetString(), Is.EqualTo($"{PublicUrl}/admin/dashboard?hours=999999&q={fid}"));
        Assert.That(body.TryGetProperty("previous_status", out _), Is.True);

        var slack = await _receiver.Until("slack", r => r.Any(h => h.Text.Contains(fid, StringComparison.Ordinal)), "the error reaches the Slack webhook");
        var text = slack.First(h => h.Text.Contains(fid, StringComparison.Ordinal)).Json;
        Assert.That(text.EnumerateObject().Select(p => p.Name), Is.EqualTo(new[] { "text" }), "Slack's incoming webhooks take {\"text\": …}");
        Assert.That(text.GetProperty("text").GetString(), Does.Contain("Alerting Agent").And.Contain("ValueError").And.Contain($"{PublicUrl}/admin/dashboard"));
        Assert.That(slack.Single(h => h.Text.Contains(fid, StringComparison.Ordinal)).Signature, Is.Null, "no secret, no signature");

        await _receiver.Until("one-agent", r => Of(r, fid).Count == 1, "the webhook of this agent gets it");
    }

    [Test]
    public async Task A_webhook_for_other_agents_and_other_events_gets_nothing_of_this_run()
    {
        var (fid, writer) = NewExecution(Host.ExecutionRoot, "Quiet Agent");
        using (writer)
        {
            await Task.Delay(300);
            writer.Append("error", "boom");
            writer.Append("status", "finished");
        }
        await _receiver.Until("json", r => Of(r, fid).Any(h => h.Json.GetProperty("event").GetString() == "finished"), "the run finishes");
        await _receiver.Until("slack", r => r.Any(h => h.Text.Contains(fid, StringComparison.Ordinal)), "the slack webhook gets the error");
        Assert.That(Of(_receiver.To("one-agent"), fid), Is.Empty, "another agent");
        Assert.That(_receiver.To("slack").Count(h => h.Text.Contains(fid, StringComparison.Ordinal)), Is.EqualTo(1), "errors only: not the status changes");
    }

    [Test]
    public async Task An_executions_alerts_arrive_in_the_order_they_happened()
    {
        var (fid, writer) = NewExecution(Host.ExecutionRoot, "Ordered Agent");
        using (writer)
        {
            foreach (var (kind, message) in new[] { ("status", "running"), ("error", "first"), ("error", "second"), ("status", "finished") })
            {
                await Task.Delay(150);
                writer.Append(kind, message);
            }
        }
        var got = await _receiver.Until("json", r => Of(r, fid).Any(h => h.Json.GetProperty("event").GetString() == "finished"), "the run finishes");
        var events = Of(got, fid).Select(h => h.Json).ToList();
        var times = events.Select(e => e.GetProperty("timestamp").GetDouble()).ToList();
        Assert.That(times, Is.Ordered, "in the order they happened");
        Assert.That(events.Where(e => e.GetProperty("event").GetString() == "error").Select(e => e.GetProperty("error").GetString()),
            Is.EqualTo(new[] { "first", "second" }));
        Assert.That(events[^1].GetProperty("event").GetString(), Is.EqualTo("finished"));
        Assert.That(events.Select(e => e.GetProperty("id").GetString()), Is.Unique);
    }

    [Test]
    public async Task A_receiver_answering_500_gets_the_same_alert_again_until_it_takes_it()
    {
        _receiver.FailNext("flaky", 4);
        var (fid, writer) = NewExecution(Host.ExecutionRoot, "Flaky Receiver Agent");
        using (writer)
        {
            await Task.Delay(300);
            writer.Append("error", "retry me");
        }
        var got = await _receiver.Until("flaky", r => Of(r, fid).Count == 1, "delivered at last");
        var attempts = got.Where(h => h.Text.Contains(fid, StringComparison.Ordinal)).ToList();
        Assert.That(attempts.Select(a => a.Answered), Is.EqualTo(new[] { 500, 500, 500, 500, 200 }));
        Assert.That(attempts.Select(a => a.Json.GetProperty("id").GetString()).Distinct().Count(), Is.EqualTo(1), "a repeat carries the same id");

        await Wait.Until(async () => ServiceUnderTestData(await Client.GetJson("/health/ready")).GetProperty("alerts_pending").GetInt32() == 0,
            TimeSpan.FromSeconds(10), "the outbox empties");
        var metrics = await Client.GetStringAsync("/metrics");
        Assert.That(Metric(metrics, "kodosumi_alerts_retried_total"), Is.GreaterThanOrEqualTo(4));
        Assert.That(Metric(metrics, "kodosumi_alerts_sent_total"), Is.GreaterThanOrEqualTo(1));
        Assert.That(Metric(metrics, "kodosumi_alerts_pending"), Is.Zero);
    }

    static JsonElement ServiceUnderTestData(JsonElement health) => health.GetProperty("checks").GetProperty("index").GetProperty("data");

    static double Metric(string text, string name) =>
        double.Parse(text.Split('\n').Single(l => l.StartsWith(name + " ", StringComparison.Ordinal)).Split(' ')[1], CultureInfo.InvariantCulture);

    [Test, Category("Resilience")]
    public async Task Alerts_pending_when_the_service_is_killed_are_delivered_after_it_restarts()
    {
        using var receiver = new WebhookReceiver();
        using var folders = ServiceFolders.Create("kodo-alerts-kill");
        var (dataDir, indexDir) = folders;
        new DemoDataGenerator(new DemoOptions { Executions = 20, Seed = 13, LargeResultEvery = 0 }).Generate(dataDir);
        var settings = new Dictionary<string, string>
        {
            ["Alerts:FirstRetryDelay"] = "00:00:00.050",
            ["Alerts:MaxRetryDelay"] = "00:00:00.200",
            ["Alerts:Webhooks:0:Url"] = receiver.Url("down"),
            ["Indexer:WatchFinishedFor"] = "365.00:00:00",
        };
        var indexPath = Path.Combine(indexDir, "index.db");
        receiver.FailNext("down", int.MaxValue);
        string fid;
        string firstId;
        using (var service = await ServiceUnderTest.StartReadyAsync(dataDir, indexPath, settings: settings))
        {
            var (newFid, writer) = NewExecution(Path.Combine(dataDir, "execution"), "Killed Agent");
            fid = newFid;
            using (writer)
            {
                foreach (var n in new[] { 1, 2, 3 })
                {
                    await Task.Delay(200);
                    writer.Append("error", $"error {n}");
                }
            }
            await Wait.Until(async () => ServiceUnderTest.HealthData(await ServiceUnderTest.Health(service)).GetProperty("alerts_pending").GetInt32() == 3,
                TimeSpan.FromSeconds(20), "three alerts wait in the outbox");
            await receiver.Until("down", r => r.Count >= 2, "the receiver was tried and failed");
            firstId = receiver.To("down")[0].Json.GetProperty("id").GetString()!;
            service.Kill();
        }

        receiver.FailNext("down", 0);
        using (var restarted = await ServiceUnderTest.StartReadyAsync(dataDir, indexPath, settings: settings))
        {
            var got = await receiver.Until("down", r => Of(r, fid).Count == 3, "every pending alert is delivered after the restart");
            var delivered = Of(got, fid).Select(h => h.Json).ToList();
            Assert.That(delivered.Select(d => d.GetProperty("error").GetString()), Is.EqualTo(new[] { "error 1", "error 2", "error 3" }), "in order");
            Assert.That(delivered[0].GetProperty("id").GetString(), Is.EqualTo(firstId), "the repeat of the alert tried before the kill carries its id");
            await Wait.Until(async () => ServiceUnderTest.HealthData(await ServiceUnderTest.Health(restarted)).GetProperty("alerts_pending").GetInt32() == 0,
                TimeSpan.FromSeconds(10), "the outbox empties");
        }
    }
}
