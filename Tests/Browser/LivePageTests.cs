using System.Text.Json;
using Kodosumi.Shared;
using Kodosumi.Shared.Demo;
using Kodosumi.TestSupport;
using Kodosumi.Tests.Support;
using Microsoft.Playwright;

namespace Kodosumi.Tests.Browser;

/// <summary>
/// The page on the live stream: a separate <c>sqlite3</c> process changes the data while the page is
/// open, and the page shows it through the stream, or by polling while the stream is down.
/// </summary>
[Category("Browser")]
public class LivePageTests : BrowserTest
{
    const int Hour = 3_600_000;
    static string ExecutionRoot => Path.Combine(DashboardSite.DataDir, "execution");

    /// <summary>
    /// Sets the page's timings before its scripts run (see app.js), and keeps every EventSource the page
    /// makes in <c>window.eventSources</c> (so a test can see which are open), the types of the events
    /// they received in <c>window.streamEvents</c>, and the indicator's states in <c>window.liveStates</c>.
    /// </summary>
    Task UseTimingsAsync(int pollMs, int livePollMs = Hour, int hiddenCloseMs = Hour) =>
        Page.AddInitScriptAsync($$"""
            globalThis.kodosumiDashboard = { pollMs: {{pollMs}}, livePollMs: {{livePollMs}}, hiddenCloseMs: {{hiddenCloseMs}} };
            window.eventSources = [];
            window.streamEvents = [];
            window.liveStates = [];
            new MutationObserver(() => window.liveStates.push(document.getElementById('live').dataset.state))
              .observe(document, { subtree: true, attributes: true, attributeFilter: ['data-state'] });
            window.EventSource = class extends EventSource {
              constructor(...args) {
                super(...args);
                window.eventSources.push(this);
                for (const type of ['execution', 'status', 'removed', 'reset', 'heartbeat']) this.addEventListener(type, () => window.streamEvents.push(type));
              }
            };
            """);

    /// <summary>Whether the page holds an EventSource that is not closed.</summary>
    Task<bool> StreamIsOpenAsync() =>
        Page.EvaluateAsync<bool>("() => window.eventSources.some(s => s.readyState !== EventSource.CLOSED)");

    /// <summary>An execution on the page's first page (last 24 hours, newest first) whose status is not <paramref name="newStatus"/>.</summary>
    static async Task<JsonElement> ShownExecutionAsync(string newStatus, int skip = 0)
    {
        var page = await ApiAsync("running-agents?hours=24&limit=50");
        return page.GetProperty("agents").EnumerateArray()
            .Where(r => r.Str("status") != newStatus && r.GetProperty("problem").ValueKind == JsonValueKind.Null)
            .Skip(skip).First();
    }

    /// <summary>Appends a status event after the execution's last one, as Kodosumi's runner does.</summary>
    static void WriteStatus(JsonElement row, string status)
    {
        var dir = Path.Combine(ExecutionRoot, row.Str("user_id"), row.Str("fid"));
        using var writer = SqliteCliWriter.Open(Path.Combine(dir, "sqlite3.db"));
        writer.Append("status", status, Recount.One(dir).Last + 1);
    }

    /// <summary>A new execution of the given user, running.</summary>
    static string WriteNewExecution(string userId, string agent)
    {
        var fid = Fids.New(DateTimeOffset.UtcNow, Random.Shared);
        using var writer = SqliteCliWriter.Open(Path.Combine(ExecutionRoot, userId, fid, "sqlite3.db"));
        writer.Append("meta", JsonSerializer.Serialize(new { dict = new { summary = agent } }));
        writer.Append("status", "running");
        return fid;
    }

    ILocator StatusOf(string fid) => Page.Locator($"#running-table tbody tr[data-fid='{fid}'] .status-badge");

    [Test]
    public async Task A_status_change_and_a_new_execution_show_through_the_stream_without_polling()
    {
        // Polling an hour apart: whatever shows within the test came by the stream.
        await UseTimingsAsync(pollMs: Hour);
        var loads = 0;
        // Answers, not finished requests: Chromium reports a 304 to a no-store fetch as aborted.
        Page.Response += (_, response) =>
        {
            if (response.Url.Contains("/api/dashboard/running-agents", StringComparison.Ordinal)) Interlocked.Increment(ref loads);
        };
        await OpenAsync();
        await Expect(Page.Locator("#live-text")).ToHaveTextAsync("live");
        await Expect(Page.Locator("#live")).ToHaveAttributeAsync("data-state", "live");
        // A first stream knows no position, so the page reloads once it is open (what changed since the
        // first load); only after that reload is a change the stream's to show.
        await Wait.Until(() => Task.FromResult(loads >= 2), TimeSpan.FromSeconds(10), "the reload after the stream opened");

        var changed = await ShownExecutionAsync("error");
        await Expect(StatusOf(changed.Str("fid"))).ToHaveTextAsync(changed.Str("status"));
        WriteStatus(changed, "error");
        await Expect(StatusOf(changed.Str("fid"))).ToHaveTextAsync("error");

        var fid = WriteNewExecution(changed.Str("user_id"), "Live Agent");
        var row = Page.Locator($"#running-table tbody tr[data-fid='{fid}']");
        await Expect(row.Locator(".status-badge")).ToHaveTextAsync("running");
        await Expect(row.Locator("td.agent")).ToHaveTextAsync("Live Agent");
        await ExpectEvaluatedAsync(RowFids, string.Join(',', (await ApiAsync("running-agents?hours=24&limit=50"))
            .GetProperty("agents").EnumerateArray().Select(r => r.Str("fid"))), "the new execution leads the list, as the API has it");
        Assert.That(await Page.EvaluateAsync<string[]>("() => window.streamEvents"), Does.Contain("status").And.Contain("execution"),
            "the stream told the page");

        // The server's `error` event (a new error) refreshes the Errors tab and is no connection failure.
        await Page.ClickAsync(".tabs [data-tab=errors]");
        await Expect(Page.Locator("#errors-list .error-card").First).ToBeVisibleAsync();
        var dir = Path.Combine(ExecutionRoot, changed.Str("user_id"), fid);
        using (var writer = SqliteCliWriter.Open(Path.Combine(dir, "sqlite3.db")))
            writer.Append("error", "Traceback (most recent call last):\nRuntimeError: live", Recount.One(dir).Last + 1);
        await Expect(Page.Locator("#errors-list .error-card").First).ToHaveAttributeAsync("data-fid", fid);
        await Expect(Page.Locator("#live-text")).ToHaveTextAsync("live");
        Assert.That(await Page.EvaluateAsync<string[]>("() => window.liveStates"), Does.Not.Contain("reconnecting"), "the indicator never left live");
    }

    [Test]
    public async Task While_the_stream_is_down_the_page_says_reconnecting_and_polls_until_it_is_back()
    {
        // The first stream opens and ends at once; then, as behind a proxy that breaks event streams,
        // every attempt fails.
        var attempts = 0;
        await Page.RouteAsync("**/api/dashboard/stream**", async route =>
        {
            if (Interlocked.Increment(ref attempts) == 1)
                await route.FulfillAsync(new() { Status = 200, ContentType = "text/event-stream", Body = "retry: 500\n\n" });
            else
                await route.AbortAsync();
        });
        await UseTimingsAsync(pollMs: 1_500);
        await OpenAsync();
        await Expect(Page.Locator("#live-text")).ToHaveTextAsync("reconnecting");
        var states = await Page.EvaluateAsync<string[]>("() => window.liveStates");
        Assert.That(states, Does.Contain("live"), "the first stream was live");
        Assert.That(states[^1], Is.EqualTo("reconnecting"), $"then it dropped: {string.Join(" → ", states)}");

        var changed = await ShownExecutionAsync("error", skip: 1);
        WriteStatus(changed, "error");
        await Expect(StatusOf(changed.Str("fid"))).ToHaveTextAsync("error");
        await Expect(Page.Locator("#live-text")).ToHaveTextAsync("reconnecting");

        // The stream answers again: the page goes live by itself (retries back off up to 30 s).
        await Page.UnrouteAllAsync(new() { Behavior = UnrouteBehavior.Wait });
        await Expect(Page.Locator("#live-text")).ToHaveTextAsync("live", new() { Timeout = 45_000 });
    }

    [Test]
    public async Task A_stream_a_proxy_holds_back_is_noticed_and_the_page_polls_meanwhile()
    {
        // Every stream goes through a proxy that passes it on until told to hold; then it keeps each
        // connection open and silent, as a proxy that buffers event streams does.
        await using var proxy = new StallingProxy(DashboardSite.BaseUrl);
        await Page.RouteAsync("**/api/dashboard/stream**", route => route.ContinueAsync(new() { Url = proxy.UrlFor(route.Request.Url) }));
        await UseTimingsAsync(pollMs: 1_500);
        await OpenAsync();
        await Expect(Page.Locator("#live-text")).ToHaveTextAsync("live");
        // The page learns the interval (DashboardSite's 2 s) from a heartbeat; the default would be 15 s.
        await Page.WaitForFunctionAsync("() => window.streamEvents.includes('heartbeat')");
        // A change through the stream gives the page a position to resume from.
        var first = await ShownExecutionAsync("error", skip: 3);
        WriteStatus(first, "error");
        await Page.WaitForFunctionAsync("() => window.streamEvents.includes('status')");
        var lastId = proxy.LastIdPassed;
        Assert.That(lastId, Is.Not.Empty, "the proxy passed the change's id on");

        proxy.Hold();
        var statesBefore = (await Page.EvaluateAsync<string[]>("() => window.liveStates")).Length;
        // Quiet for 2.5 heartbeats (5 s) counts as stalled; the slack is for a busy machine.
        await Expect(Page.Locator("#live-text")).ToHaveTextAsync("reconnecting", new() { Timeout = 15_000 });
        await Wait.Until(() => Task.FromResult(proxy.Connections >= 2), TimeSpan.FromSeconds(10), "the page opened a new stream");
        Assert.That(await Page.EvaluateAsync<bool>("() => window.eventSources[0].readyState === EventSource.CLOSED"), "the quiet stream was closed");
        Assert.That(proxy.Targets.Skip(1), Has.All.Contains($"last_event_id={lastId}"), "the new stream resumes from the last event");

        // Meanwhile the page polls: a change shows although no stream brings it.
        var changed = await ShownExecutionAsync("error", skip: 3);
        WriteStatus(changed, "error");
        await Expect(StatusOf(changed.Str("fid"))).ToHaveTextAsync("error");
        await Expect(Page.Locator("#live-text")).ToHaveTextAsync("reconnecting");
        var states = await Page.EvaluateAsync<string[]>("() => window.liveStates");
        Assert.That(states.Skip(statesBefore), Does.Contain("reconnecting").And.Not.Contain("live"),
            $"a new stream that sends nothing is not live: {string.Join(" → ", states)}");
        Assert.That((await Page.EvaluateAsync<string[]>("() => window.streamEvents")).Count(t => t == "status"), Is.EqualTo(1),
            "the second change came by polling");
    }

    [Test]
    public async Task A_reset_reloads_everything_without_the_kept_etags()
    {
        // A stream that says only `reset` (as after a restart of the service), then ends.
        var resets = 0;
        await Page.RouteAsync("**/api/dashboard/stream**", async route =>
        {
            if (Interlocked.Increment(ref resets) > 1) { await route.AbortAsync(); return; }
            await route.FulfillAsync(new() { Status = 200, ContentType = "text/event-stream", Body = "retry: 60000\nid: 00000001-1\nevent: reset\ndata: {}\n\n" });
        });
        var unconditional = 0;
        Page.Request += (_, request) =>
        {
            if (request.Url.Contains("/api/dashboard/running-agents", StringComparison.Ordinal) && !request.Headers.ContainsKey("if-none-match"))
                Interlocked.Increment(ref unconditional);
        };
        await UseTimingsAsync(pollMs: Hour);
        await OpenAsync();
        // The first load asks without an ETag; any later one only after the reset forgot it.
        await Wait.Until(() => Task.FromResult(unconditional >= 2), TimeSpan.FromSeconds(15), "the reset reloaded the list without If-None-Match");
        await ExpectRowsAsync(await ApiAsync("running-agents?hours=24&limit=50&sort=-start_time"), "the reloaded list");
    }

    [Test]
    public async Task A_401_on_the_stream_brings_the_login_form()
    {
        await Page.RouteAsync("**/api/dashboard/stream**", route => route.FulfillAsync(new() { Status = 401, Json = new { status = 401 } }));
        await UseTimingsAsync(pollMs: Hour);
        // Signed in beforehand, so the page and the lists load and only the stream refuses.
        await Context.AddCookiesAsync([new Cookie { Name = "kodosumi_jwt", Value = Kodosumi.Tests.Auth.TestJwt.For(DemoDataGenerator.Users[0].FolderName), Url = DashboardSite.BaseUrl }]);
        await Page.GotoAsync("/admin/dashboard");
        await Expect(Page.Locator("#login")).ToBeVisibleAsync();
        Assert.That(await StreamIsOpenAsync(), Is.False, "the refused stream is not retried");
        await Expect(Page.Locator("#live-text")).ToHaveTextAsync("not live");

        // Signed in again (and the stream accepting the session), the page goes live.
        await Page.UnrouteAllAsync(new() { Behavior = UnrouteBehavior.Wait });
        await LogInThroughFormAsync("admin", "admin");
        await Expect(Page.Locator("#login")).Not.ToBeVisibleAsync();
        await Expect(Page.Locator("#live-text")).ToHaveTextAsync("live");
        Assert.That(await StreamIsOpenAsync(), "the page holds a stream");
    }

    [Test]
    public async Task A_tab_hidden_for_long_closes_the_stream_and_reopens_it_when_shown()
    {
        await UseTimingsAsync(pollMs: Hour, hiddenCloseMs: 500);
        await OpenAsync();
        await Expect(Page.Locator("#live-text")).ToHaveTextAsync("live");
        Assert.That(await StreamIsOpenAsync(), "the page holds a stream");
        var opened = await Page.EvaluateAsync<int>("() => window.eventSources.length");

        await Page.EvaluateAsync("() => { Object.defineProperty(document, 'hidden', { configurable: true, get: () => true }); document.dispatchEvent(new Event('visibilitychange')); }");
        await Expect(Page.Locator("#live-text")).ToHaveTextAsync("not live");
        Assert.That(await StreamIsOpenAsync(), Is.False, "no EventSource stays open");

        await Page.EvaluateAsync("() => { Object.defineProperty(document, 'hidden', { configurable: true, get: () => false }); document.dispatchEvent(new Event('visibilitychange')); }");
        await Expect(Page.Locator("#live-text")).ToHaveTextAsync("live");
        Assert.That(await Page.EvaluateAsync<int>("() => window.eventSources.length"), Is.GreaterThan(opened), "a new stream was opened");
        Assert.That(await StreamIsOpenAsync(), "and is open");
    }

    [Test]
    public async Task Changes_while_the_tab_is_hidden_show_when_it_shows_again()
    {
        var loads = 0;
        Page.Request += (_, request) =>
        {
            if (request.Url.Contains("/api/dashboard/running-agents", StringComparison.Ordinal)) Interlocked.Increment(ref loads);
        };
        await UseTimingsAsync(pollMs: Hour);
        await OpenAsync();
        await Expect(Page.Locator("#live-text")).ToHaveTextAsync("live");
        await Wait.Until(() => Task.FromResult(loads >= 2), TimeSpan.FromSeconds(10), "the reload after the stream opened");

        await Page.EvaluateAsync("() => { Object.defineProperty(document, 'hidden', { configurable: true, get: () => true }); document.dispatchEvent(new Event('visibilitychange')); }");
        var before = loads;
        var changed = await ShownExecutionAsync("awaiting", skip: 2);
        WriteStatus(changed, "awaiting");
        await Wait.Until(async () => (await ApiAsync($"execution/{changed.Str("fid")}/details?limit=1")).GetProperty("metadata").Str("status") == "awaiting",
            TimeSpan.FromSeconds(10), "the change is indexed");
        await Page.WaitForFunctionAsync("() => window.streamEvents.includes('status')");
        await Page.WaitForTimeoutAsync(2_000); // twice the page's event delay
        Assert.That(loads, Is.EqualTo(before), "a hidden tab does not reload on events");
        await Expect(StatusOf(changed.Str("fid"))).ToHaveTextAsync(changed.Str("status"));

        await Page.EvaluateAsync("() => { Object.defineProperty(document, 'hidden', { configurable: true, get: () => false }); document.dispatchEvent(new Event('visibilitychange')); }");
        await Expect(StatusOf(changed.Str("fid"))).ToHaveTextAsync("awaiting");
        await Expect(Page.Locator("#live-text")).ToHaveTextAsync("live");
    }

    [Test]
    public async Task Logging_out_closes_the_stream()
    {
        var closed = false;
        await UseTimingsAsync(pollMs: Hour);
        await OpenAsync();
        await Expect(Page.Locator("#live-text")).ToHaveTextAsync("live");
        // Hold the logout until the page has had its chance to close the stream, and look.
        await Page.RouteAsync("**/logout", async route =>
        {
            closed = await StreamIsOpenAsync() is false;
            await route.ContinueAsync();
        });
        await Page.ClickAsync("#logout");
        await Page.WaitForURLAsync("**/admin/login**");
        Assert.That(closed, "the stream was closed before logging out");
    }
}
