using System.Net;
using System.Net.Http.Json;
using Kodosumi.Shared.Demo;
using Kodosumi.Tests.Support;
using static Kodosumi.Tests.Auth.AuthDataSet;

namespace Kodosumi.Tests.Auth;

/// <summary>Kodosumi's login: a name and password against admin.db's bcrypt hashes, a cookie and a token back.</summary>
[Category("Integration")]
public class LoginTests
{
    public enum Way { Query, Form, Json }

    static Task<HttpResponseMessage> Login(HttpClient client, Way way, string name, string password) => way switch
    {
        Way.Query => client.GetAsync($"/login?name={Uri.EscapeDataString(name)}&password={Uri.EscapeDataString(password)}"),
        Way.Form => client.PostAsync("/login", new FormUrlEncodedContent(new Dictionary<string, string> { ["name"] = name, ["password"] = password })),
        _ => client.PostAsJsonAsync("/api/login", new { name, password }),
    };

    [Test]
    public async Task The_right_password_answers_the_role_and_a_kodosumi_token_and_sets_the_cookie([Values] Way way)
    {
        using var client = Anonymous();
        var response = await Login(client, way, "alice", "alice");
        var body = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), body);

        var json = System.Text.Json.JsonDocument.Parse(body).RootElement;
        Assert.That(json.Str("name"), Is.EqualTo("alice"));
        Assert.That(json.Str("id"), Is.EqualTo(Alice.FolderName));
        // The token checks out with the test's own HMAC, so Kodosumi (PyJWT) would accept it too.
        var claims = TestJwt.Verify(json.Str("KODOSUMI_API_KEY"));
        Assert.That(claims.Str("sub"), Is.EqualTo(Alice.FolderName));
        Assert.That(claims.GetProperty("exp").GetInt64(), Is.GreaterThan(DateTimeOffset.UtcNow.ToUnixTimeSeconds()));
        Assert.That(claims.GetProperty("iat").GetInt64(), Is.EqualTo(DateTimeOffset.UtcNow.ToUnixTimeSeconds()).Within(60));

        var cookie = response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("kodosumi_jwt=", StringComparison.Ordinal));
        Assert.That(cookie, Does.StartWith($"kodosumi_jwt={json.Str("KODOSUMI_API_KEY")};"));
        Assert.That(cookie.ToLowerInvariant(), Does.Contain("httponly").And.Contain("samesite=lax").And.Contain("path=/"));

        var request = new HttpRequestMessage(HttpMethod.Get, $"{Dashboard}/agent-stats");
        request.Headers.Add("KODOSUMI_API_KEY", json.Str("KODOSUMI_API_KEY"));
        var stats = await client.SendAsync(request);
        Assert.That(stats.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task The_cookie_signs_the_browser_in_until_logout([Values("GET", "POST")] string logoutMethod)
    {
        using var browser = Host.CreateClient(); // keeps cookies, as a browser does
        var alicesCount = Executions.Count(e => e.UserId == Alice.FolderName);
        Assert.That((await browser.GetAsync($"{Dashboard}/agent-stats")).StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));

        Assert.That((await Login(browser, Way.Form, "alice", "alice")).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var stats = await browser.GetJson($"{Dashboard}/agent-stats");
        Assert.That(stats.GetProperty("total_executions").GetInt32(), Is.EqualTo(alicesCount));

        var logout = await browser.SendAsync(new HttpRequestMessage(new HttpMethod(logoutMethod), "/logout"));
        Assert.That(logout.IsSuccessStatusCode);
        Assert.That(logout.Headers.GetValues("Set-Cookie").Single(), Does.StartWith("kodosumi_jwt=;"));
        Assert.That((await browser.GetAsync($"{Dashboard}/agent-stats")).StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    [Test]
    public async Task A_logout_keeps_no_token_that_would_not_sign_in()
    {
        // Anyone may call /logout; a token it keeps stays in memory until its exp, which the caller picks.
        var revoked = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<Kodosumi.Api.Auth.RevokedTokens>(Host.Services);
        var before = revoked.Count;
        using var client = Anonymous();
        for (var i = 0; i < 50; i++)
        {
            var forged = TestJwt.For(Alice.FolderName, secret: "not the service's secret " + i, validFor: TimeSpan.FromDays(365 * 100));
            var request = new HttpRequestMessage(HttpMethod.Post, "/logout");
            request.Headers.Add("KODOSUMI_API_KEY", forged);
            Assert.That((await client.SendAsync(request)).IsSuccessStatusCode);
        }
        Assert.That(revoked.Count, Is.EqualTo(before));

        // A token that does sign in is still given up by its logout.
        var token = TestJwt.For(Alice.FolderName);
        var logout = new HttpRequestMessage(HttpMethod.Post, "/logout");
        logout.Headers.Add("KODOSUMI_API_KEY", token);
        Assert.That((await client.SendAsync(logout)).IsSuccessStatusCode);
        var after = new HttpRequestMessage(HttpMethod.Get, $"{Dashboard}/agent-stats");
        after.Headers.Add("KODOSUMI_API_KEY", token);
        Assert.That((await client.SendAsync(after)).StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    [Test]
    public async Task A_logout_gives_up_a_token_sent_as_authorization_bearer()
    {
        // The standard header signs in too (the fallback when neither of Kodosumi's is sent), so its logout must hold.
        using var client = Anonymous();
        var token = TestJwt.For(Alice.FolderName);
        HttpRequestMessage WithBearer(HttpMethod method, string url)
        {
            var request = new HttpRequestMessage(method, url);
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
            return request;
        }
        Assert.That((await client.SendAsync(WithBearer(HttpMethod.Get, $"{Dashboard}/agent-stats"))).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await client.SendAsync(WithBearer(HttpMethod.Post, "/logout"))).IsSuccessStatusCode);
        Assert.That((await client.SendAsync(WithBearer(HttpMethod.Get, $"{Dashboard}/agent-stats"))).StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    [TestCase("alice", "bob")]
    [TestCase("alice", "Alice")]
    [TestCase("alice", "alice ")]
    [TestCase("Alice", "alice")]
    [TestCase("nobody", "nobody")]
    public async Task A_wrong_name_or_password_gets_401_and_no_cookie(string name, string password)
    {
        using var client = Anonymous();
        foreach (var way in Enum.GetValues<Way>())
        {
            var response = await Login(client, way, name, password);
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), way.ToString());
            Assert.That(response.Headers.Contains("Set-Cookie"), Is.False);
            Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"), way.ToString());
            // The same words whether the name or the password was wrong.
            Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("Wrong name or password"), way.ToString());
        }
    }

    [Test]
    public async Task A_missing_name_or_password_gets_400()
    {
        using var client = Anonymous();
        Assert.That((await client.GetAsync("/login?name=alice")).StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That((await client.PostAsJsonAsync("/api/login", new { password = "alice" })).StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
    }

    [Test]
    public async Task An_inactive_role_cannot_log_in()
    {
        using var client = Anonymous();
        try
        {
            ChangeRoles("UPDATE roles SET active = 0 WHERE id = $id", ("$id", Hex32(Bob)));
            await WaitForStatus(Bob.FolderName, HttpStatusCode.Unauthorized, "bob is inactive");
            foreach (var way in Enum.GetValues<Way>())
                Assert.That((await Login(client, way, "bob", "bob")).StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), way.ToString());
        }
        finally
        {
            ChangeRoles("UPDATE roles SET active = 1 WHERE id = $id", ("$id", Hex32(Bob)));
        }
        await WaitForStatus(Bob.FolderName, HttpStatusCode.OK, "bob is active again");
        Assert.That((await Login(client, Way.Json, "bob", "bob")).StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task A_role_added_by_Kodosumi_with_a_2b_hash_can_log_in()
    {
        var erin = Guid.NewGuid();
        // Kodosumi's Python bcrypt writes "$2b$" hashes with cost 12.
        var hash = BCrypt.Net.BCrypt.HashPassword("erin's secret", BCrypt.Net.BCrypt.GenerateSalt(12, 'b'));
        Assert.That(hash, Does.StartWith("$2b$12$"));
        using var client = Anonymous();
        try
        {
            ChangeRoles("INSERT INTO roles VALUES ($id, 'erin', 'erin@example.com', 1, $password, 0)", ("$id", erin.ToString("N")), ("$password", hash));
            await WaitForStatus(erin.ToString(), HttpStatusCode.OK, "erin exists");
            var response = await Login(client, Way.Json, "erin", "erin's secret");
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That((await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).Str("id"), Is.EqualTo(erin.ToString()));
        }
        finally
        {
            ChangeRoles("DELETE FROM roles WHERE id = $id", ("$id", erin.ToString("N")));
        }
    }

    [Test]
    public async Task Failed_logins_are_limited_per_client_but_good_ones_are_not()
    {
        // A host of its own, so the limit of 3 does not affect the other tests.
        using var host = new IndexerHost(DataDir, settings: new Dictionary<string, string?>
        {
            ["Auth:FailedLoginLimit"] = "3",
            ["Auth:FailedLoginWindow"] = "00:10:00",
        });
        using var client = await host.StartAsync(anonymous: true);
        for (var i = 0; i < 5; i++)
            Assert.That((await Login(client, Way.Json, "carol", "carol")).StatusCode, Is.EqualTo(HttpStatusCode.OK), "good logins never count");
        for (var i = 0; i < 3; i++)
            Assert.That((await Login(client, Way.Json, "carol", "wrong")).StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));

        foreach (var way in Enum.GetValues<Way>())
        {
            var limited = await Login(client, way, "carol", "carol");
            Assert.That(limited.StatusCode, Is.EqualTo(HttpStatusCode.TooManyRequests), "even the right password, once the limit is used up");
            Assert.That(limited.Headers.RetryAfter?.Delta, Is.GreaterThan(TimeSpan.Zero).And.LessThanOrEqualTo(TimeSpan.FromMinutes(10)));
        }
        using var withToken = host.ClientFor(Carol.FolderName);
        Assert.That((await withToken.GetAsync($"{Dashboard}/agent-stats")).StatusCode, Is.EqualTo(HttpStatusCode.OK), "tokens still work");
    }
}
