using System.Net;
using System.Text.Json;
using Kodosumi.Shared.Demo;
using Kodosumi.Tests.Auth;
using Kodosumi.Tests.Support;
using Microsoft.Playwright;

namespace Kodosumi.Tests.Browser;

/// <summary>HTML in the data stays text; failures, logins, refreshes and offline assets behave.</summary>
[Category("Browser")]
public class PageSafetyTests : BrowserTest
{
    [Test]
    public async Task Html_in_agent_names_user_names_errors_and_file_names_is_shown_as_text()
    {
        var hostile = DashboardSite.Hostile;
        await OpenAsync();

        await Page.FillAsync("#filter-search", hostile.AgentFid);
        await ExpectEvaluatedAsync(RowFids, hostile.AgentFid, "the execution with the HTML agent name");
        await Expect(Page.Locator($"tr[data-fid='{hostile.AgentFid}'] td.agent")).ToHaveTextAsync(HostileData.AgentName);
        await Page.ClickAsync($"tr[data-fid='{hostile.AgentFid}'] .files-button");
        await Expect(Page.Locator("#files-in .file-name")).ToHaveTextAsync(HostileData.UploadName);
        await Page.ClickAsync("#files-close");

        await Page.FillAsync("#filter-search", hostile.UserFid);
        await ExpectEvaluatedAsync(RowFids, hostile.UserFid, "the execution of the user with the HTML name");
        await Expect(Page.Locator($"tr[data-fid='{hostile.UserFid}'] td.user")).ToHaveTextAsync(HostileData.UserName);
        await Page.SelectOptionAsync("#filter-user", hostile.UserId);
        await Expect(Page.Locator("#filter-user option:checked")).ToHaveTextAsync(HostileData.UserName);

        await Page.ClickAsync(".tabs [data-tab=errors]");
        var card = Page.Locator($".error-card[data-fid='{hostile.AgentFid}']");
        await Expect(card.Locator(".error-message")).ToHaveTextAsync(HostileData.ErrorLine);
        await Expect(card.Locator(".agent")).ToHaveTextAsync(HostileData.AgentName);
        await card.Locator("summary").ClickAsync();
        await Expect(card.Locator("pre.trace")).ToContainTextAsync(HostileData.ErrorLine);

        await Page.ClickAsync(".tabs [data-tab=stats]");
        await Expect(Page.Locator($"#pie-users li[data-key='{hostile.UserId}'] .legend-label")).ToHaveTextAsync(HostileData.UserName);
        await Expect(Page.Locator("#agents-table td.agent").Filter(new() { HasTextString = HostileData.AgentName })).ToHaveTextAsync(HostileData.AgentName);

        var injected = await Page.EvaluateAsync<int>("() => document.querySelectorAll('main img, main script, main b, dialog img').length");
        Assert.That(injected, Is.Zero, "no element was made from the data");
        // The teardown fails the test if alert() opened a dialog.
        await Page.WaitForTimeoutAsync(300);
    }

    [Test]
    public async Task A_banner_shows_when_the_api_cannot_be_reached_and_goes_when_it_answers()
    {
        await OpenAsync();
        await Page.RouteAsync("**/api/dashboard/**", route => route.AbortAsync());
        await Page.ClickAsync("#refresh");
        await Expect(Page.Locator("#banner")).ToBeVisibleAsync();
        await Expect(Page.Locator("#banner-text")).ToContainTextAsync("cannot be reached");

        await Page.UnrouteAllAsync(new() { Behavior = UnrouteBehavior.Wait });
        await Page.ClickAsync("#refresh");
        await Expect(Page.Locator("#banner")).Not.ToBeVisibleAsync();
    }

    [Test]
    public async Task Refreshes_send_the_etag_back_and_keep_the_rows_on_not_modified()
    {
        var conditional = new List<string>();
        await Page.RouteAsync("**/api/dashboard/running-agents**", async route =>
        {
            if (route.Request.Headers.TryGetValue("if-none-match", out var tag))
            {
                lock (conditional) conditional.Add(tag);
                await route.FulfillAsync(new() { Status = 304, Headers = new Dictionary<string, string> { ["ETag"] = tag } });
                return;
            }
            var response = await route.FetchAsync();
            var headers = new Dictionary<string, string>(response.Headers) { ["ETag"] = "\"v1\"" };
            await route.FulfillAsync(new() { Response = response, Headers = headers });
        });
        await OpenAsync();
        var before = await Page.EvaluateAsync<string>(RowFids);
        Assert.That(before, Is.Not.Empty);

        await Page.ClickAsync("#refresh");
        await Wait.Until(() => Task.FromResult(conditional.Count > 0), TimeSpan.FromSeconds(15), "the refresh sent If-None-Match");
        Assert.That(conditional, Is.All.EqualTo("\"v1\""));
        await Expect(Page.Locator("#banner")).Not.ToBeVisibleAsync();
        Assert.That(await Page.EvaluateAsync<string>(RowFids), Is.EqualTo(before), "a 304 keeps what is shown");
    }

    [Test]
    public async Task Without_the_live_stream_the_page_refreshes_every_30_seconds_but_not_while_hidden()
    {
        // The stream down (a proxy that breaks it): polling is the page's fallback.
        await Page.RouteAsync("**/api/dashboard/stream**", route => route.AbortAsync());
        var requests = 0;
        Page.Request += (_, request) =>
        {
            if (request.Url.Contains("/api/dashboard/running-agents", StringComparison.Ordinal)) Interlocked.Increment(ref requests);
        };
        await Page.Clock.InstallAsync();
        await OpenAsync();
        await Expect(Page.Locator("#live-text")).ToHaveTextAsync("reconnecting");
        var afterLoad = requests;

        await Page.Clock.RunForAsync(31_000);
        await Wait.Until(() => Task.FromResult(requests == afterLoad + 1), TimeSpan.FromSeconds(10), "one refresh after 30 s");

        await Page.EvaluateAsync("() => Object.defineProperty(document, 'hidden', { configurable: true, get: () => true })");
        await Page.Clock.RunForAsync(95_000);
        await Page.WaitForTimeoutAsync(500);
        Assert.That(requests, Is.EqualTo(afterLoad + 1), "no refresh while the tab is hidden");

        await Page.EvaluateAsync("() => { Object.defineProperty(document, 'hidden', { configurable: true, get: () => false }); document.dispatchEvent(new Event('visibilitychange')); }");
        await Wait.Until(() => Task.FromResult(requests == afterLoad + 2), TimeSpan.FromSeconds(10), "a refresh as soon as the tab shows again");
    }

    [Test]
    public async Task Fonts_and_libraries_load_from_the_service_itself()
    {
        var outside = new List<string>();
        await Context.RouteAsync("**/*", async route =>
        {
            if (route.Request.Url.StartsWith(DashboardSite.BaseUrl, StringComparison.Ordinal)) await route.ContinueAsync();
            else
            {
                lock (outside) outside.Add(route.Request.Url);
                await route.AbortAsync();
            }
        });
        var failed = new List<string>();
        Page.RequestFailed += (_, request) => { lock (failed) failed.Add(request.Url); };
        // Signed in beforehand: the login form's 401 path cancels the first requests, which is not what this test is about.
        await Context.AddCookiesAsync([new Microsoft.Playwright.Cookie { Name = "kodosumi_jwt", Value = TestJwt.For(DemoDataGenerator.Users[0].FolderName), Url = DashboardSite.BaseUrl }]);
        await OpenAsync();
        var iconFontLoaded = await Page.EvaluateAsync<bool>("""
            async () => {
              await document.fonts.ready;
              return [...document.fonts].some(f => f.family.includes('Material Symbols') && f.status === 'loaded');
            }
            """);
        Assert.Multiple(() =>
        {
            Assert.That(iconFontLoaded, "a Material Symbols font loaded for the icons");
            Assert.That(outside, Is.Empty, "requests that left the service");
            Assert.That(failed, Is.Empty, "requests that failed");
        });
        Assert.That(await Page.EvaluateAsync<string>("() => d3.version"), Is.EqualTo("7.9.2"));
    }

    [Test]
    public async Task The_root_leads_to_the_dashboard()
    {
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = new Uri(DashboardSite.BaseUrl) };
        var response = await client.GetAsync("/");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Redirect));
        Assert.That(response.Headers.Location?.OriginalString, Does.EndWith("/admin/dashboard").Or.Contain("/login"));

        await Page.GotoAsync("/");
        Assert.That(Page.Url, Does.Contain("/admin/dashboard").Or.Contain("/login"), "the browser follows the redirect");
    }

    [Test]
    public async Task A_401_brings_the_login_form_which_posts_json_to_api_login_and_then_loads_the_data()
    {
        // The page route needs a session; the API then answers 401 (as when that session expires while the
        // page is open) until the page's own form has logged in again.
        await Context.AddCookiesAsync([new Microsoft.Playwright.Cookie { Name = "kodosumi_jwt", Value = TestJwt.For(DemoDataGenerator.Users[0].FolderName), Url = DashboardSite.BaseUrl }]);
        var loggedIn = false;
        var posted = new List<JsonElement>();
        await Page.RouteAsync("**/api/login", async route =>
        {
            var body = JsonDocument.Parse(route.Request.PostData ?? "{}").RootElement.Clone();
            lock (posted) posted.Add(body);
            loggedIn = body.TryGetProperty("password", out var p) && p.GetString() == "admin";
            await route.FulfillAsync(new() { Status = loggedIn ? 200 : 401, Json = new { name = "admin" } });
        });
        await Page.RouteAsync("**/api/dashboard/**", async route =>
        {
            if (loggedIn) await route.FallbackAsync();
            else await route.FulfillAsync(new() { Status = 401, Json = new { status = 401 } });
        });

        await Page.GotoAsync("/admin/dashboard");
        await Expect(Page.Locator("#login")).ToBeVisibleAsync();
        await Expect(Page.Locator("#dashboard")).Not.ToBeVisibleAsync();
        await ScreenshotAsync("login");

        await LogInThroughFormAsync("admin", "nope");
        await Expect(Page.Locator("#login-error")).ToHaveTextAsync("Wrong name or password.");
        await LogInThroughFormAsync("admin", "admin");
        await Expect(Page.Locator("#login")).Not.ToBeVisibleAsync();
        await Expect(Page.Locator("#running-table tbody tr[data-fid]").First).ToBeVisibleAsync();
        Assert.That(posted.Select(b => (b.Str("name"), b.Str("password"))), Is.EqualTo(new[] { ("admin", "nope"), ("admin", "admin") }));
    }

    [Test]
    public async Task The_page_sends_to_the_sign_in_page_which_returns_to_it_and_logout_leads_back()
    {
        // The tab asked for survives the detour (the fragment never reaches the server).
        await Page.GotoAsync("/admin/dashboard#errors");
        await Page.WaitForURLAsync("**/admin/login?next=*");
        await ScreenshotAsync("sign-in");

        await Page.FillAsync("input[name=name]", "admin");
        await Page.FillAsync("input[name=password]", "wrong password");
        await Page.ClickAsync("#login-submit");
        await Expect(Page.Locator("#login-error")).ToHaveTextAsync("Wrong name or password.");

        await Page.FillAsync("input[name=name]", "admin");
        await Page.FillAsync("input[name=password]", "admin");
        await Page.ClickAsync("#login-submit");
        await Page.WaitForURLAsync("**/admin/dashboard#errors");
        await Expect(Page.Locator("#updated")).Not.ToBeEmptyAsync();
        await Expect(Page.Locator("#tab-errors")).ToBeVisibleAsync();
        var cookies = await Context.CookiesAsync();
        Assert.That(cookies.Single(c => c.Name == "kodosumi_jwt").HttpOnly, "the session cookie is out of reach of scripts");

        await Page.ClickAsync("#logout");
        await Page.WaitForURLAsync("**/admin/login**");
        await Page.GotoAsync("/admin/dashboard");
        await Page.WaitForURLAsync("**/admin/login**");
    }
}
