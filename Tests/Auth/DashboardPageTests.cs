using System.Net;
using System.Net.Http.Json;
using Kodosumi.Tests.Support;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using static Kodosumi.Tests.Auth.AuthDataSet;

namespace Kodosumi.Tests.Auth;

/// <summary>The dashboard page needs a user: without one the browser is sent to the sign-in page and back.</summary>
[Category("Integration")]
public class DashboardPageTests
{
    static HttpClient Browser() => Host.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });

    static Task<HttpResponseMessage> SignIn(HttpClient client, string name, string password, string? next = "/admin/dashboard") =>
        client.PostAsync("/admin/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["name"] = name, ["password"] = password, ["next"] = next ?? "",
        }));

    [Test]
    public async Task Without_a_session_the_page_sends_to_the_sign_in_page_which_holds_no_data()
    {
        using var client = Browser();
        var page = await client.GetAsync("/admin/dashboard?x=1");
        Assert.That(page.StatusCode, Is.EqualTo(HttpStatusCode.Redirect));
        Assert.That(page.Headers.Location?.OriginalString, Is.EqualTo("/admin/login?next=%2Fadmin%2Fdashboard%3Fx%3D1"));

        var login = await client.GetAsync(page.Headers.Location);
        var html = await login.Content.ReadAsStringAsync();
        Assert.That(login.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(html, Does.Contain("<form method=\"post\" action=\"/admin/login\">"));
        Assert.That(html, Does.Contain("name=\"next\" value=\"/admin/dashboard?x=1\""));
        Assert.That(html, Does.Not.Contain("id=\"dashboard\""));
    }

    [TestCase("/dashboard/index.html")]
    [TestCase("/Pages/dashboard.html")]
    [TestCase("/dashboard.html")]
    public async Task The_page_is_not_served_as_a_static_file(string path)
    {
        using var client = Browser();
        Assert.That((await client.GetAsync(path)).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }

    [Test]
    public async Task Signing_in_sets_the_session_and_returns_to_the_page()
    {
        using var client = Browser();
        var response = await SignIn(client, "alice", "alice", "/admin/dashboard?x=1");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.SeeOther));
        Assert.That(response.Headers.Location?.OriginalString, Is.EqualTo("/admin/dashboard?x=1"));
        var cookie = response.Headers.GetValues("Set-Cookie").Single();
        Assert.That(cookie.ToLowerInvariant(), Does.StartWith("kodosumi_jwt=").And.Contain("httponly").And.Contain("samesite=lax"));

        var page = await client.GetAsync("/admin/dashboard");
        Assert.That(page.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await page.Content.ReadAsStringAsync(), Does.Contain("id=\"dashboard\""));
        // Signed in, the sign-in page sends straight on.
        var again = await client.GetAsync("/admin/login?next=%2Fadmin%2Fdashboard");
        Assert.That(again.StatusCode, Is.EqualTo(HttpStatusCode.Redirect));

        // The session is the user's own: alice's numbers, not everyone's.
        var stats = await client.GetJson($"{Dashboard}/agent-stats");
        Assert.That(stats.GetProperty("total_executions").GetInt32(), Is.EqualTo(Executions.Count(e => e.UserId == Alice.FolderName)));

        Assert.That((await client.PostAsync("/logout", null)).IsSuccessStatusCode);
        Assert.That((await client.GetAsync("/admin/dashboard")).StatusCode, Is.EqualTo(HttpStatusCode.Redirect));
    }

    [TestCase("alice", "wrong")]
    [TestCase("nobody", "nobody")]
    public async Task A_wrong_password_shows_the_sign_in_page_again_with_the_reason(string name, string password)
    {
        using var client = Browser();
        var response = await SignIn(client, name, password);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(response.Headers.Contains("Set-Cookie"), Is.False);
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("Wrong name or password."));
    }

    [TestCase("//evil.example/x")]
    [TestCase("/\\evil.example/x")]
    [TestCase("https://evil.example/x")]
    [TestCase("javascript:alert(1)")]
    [TestCase("")]
    // Browsers drop tabs and line breaks from a URL before reading it: these are //evil.example and /\evil.example.
    [TestCase("/\t/evil.example/x")]
    [TestCase("/\t\\evil.example/x")]
    [TestCase("/\r\n/evil.example/x")]
    public async Task The_way_back_never_leaves_the_site(string next)
    {
        using var client = Browser();
        var response = await SignIn(client, "alice", "alice", next);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.SeeOther));
        Assert.That(response.Headers.Location?.OriginalString, Is.EqualTo("/admin/dashboard"));
    }

    [Test]
    public async Task The_way_back_is_html_encoded_in_the_sign_in_page()
    {
        using var client = Browser();
        var html = await client.GetStringAsync($"/admin/login?next={Uri.EscapeDataString("/a\"><script>alert(1)</script>")}");
        Assert.That(html, Does.Not.Contain("<script>alert(1)"));
        Assert.That(html, Does.Contain("/a&quot;&gt;&lt;script&gt;"));
    }

    [Test]
    public async Task Logout_gives_up_the_token_itself_not_only_the_cookie()
    {
        using var client = Anonymous();
        var login = await client.PostAsJsonAsync("/api/login", new { name = "bob", password = "bob" });
        var token = (await login.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).Str("KODOSUMI_API_KEY");
        HttpRequestMessage WithToken(HttpMethod method, string path)
        {
            var request = new HttpRequestMessage(method, path);
            request.Headers.Add("KODOSUMI_API_KEY", token);
            return request;
        }

        Assert.That((await client.SendAsync(WithToken(HttpMethod.Get, $"{Dashboard}/agent-stats"))).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await client.SendAsync(WithToken(HttpMethod.Post, "/logout"))).IsSuccessStatusCode);
        Assert.That((await client.SendAsync(WithToken(HttpMethod.Get, $"{Dashboard}/agent-stats"))).StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        // Another session of the same user is not affected.
        using var other = Host.ClientFor(Bob.FolderName);
        Assert.That((await other.GetAsync($"{Dashboard}/agent-stats")).StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task Behind_a_trusted_proxy_failed_logins_count_per_forwarded_client()
    {
        using var host = new IndexerHost(DataDir, settings: new Dictionary<string, string?>
        {
            ["Auth:FailedLoginLimit"] = "2",
            ["Auth:FailedLoginWindow"] = "00:10:00",
            ["Auth:TrustedProxies:0"] = "10.0.0.0/8",
        });
        (await host.StartAsync(anonymous: true)).Dispose();

        async Task<HttpStatusCode> FailFrom(string proxy, string client)
        {
            var context = await host.Server.SendAsync(c =>
            {
                c.Connection.RemoteIpAddress = IPAddress.Parse(proxy);
                c.Request.Method = "POST";
                c.Request.Path = "/api/login";
                c.Request.Headers["X-Forwarded-For"] = client;
                c.Request.ContentType = "application/json";
                c.Request.Body = new MemoryStream("""{"name":"alice","password":"wrong"}"""u8.ToArray());
            });
            return (HttpStatusCode)context.Response.StatusCode;
        }

        // Through the trusted proxy, each forwarded client has its own limit.
        Assert.That(await FailFrom("10.1.2.3", "203.0.113.7"), Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(await FailFrom("10.1.2.3", "203.0.113.7"), Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(await FailFrom("10.1.2.3", "203.0.113.7"), Is.EqualTo(HttpStatusCode.TooManyRequests));
        Assert.That(await FailFrom("10.1.2.3", "203.0.113.8"), Is.EqualTo(HttpStatusCode.Unauthorized), "another client behind the same proxy");
        // An untrusted peer cannot pick its own address to escape the limit.
        Assert.That(await FailFrom("192.0.2.1", "203.0.113.9"), Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(await FailFrom("192.0.2.1", "203.0.113.10"), Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(await FailFrom("192.0.2.1", "203.0.113.11"), Is.EqualTo(HttpStatusCode.TooManyRequests));
    }
}
