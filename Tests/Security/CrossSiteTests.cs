using System.Net;
using System.Net.Http.Json;
using static Kodosumi.Tests.Security.SecurityService;

namespace Kodosumi.Tests.Security;

/// <summary>
/// Issue 21, point 6: another site cannot make a browser sign in (login CSRF) or out; API clients, which send
/// neither <c>Sec-Fetch-Site</c> nor <c>Origin</c>, and Kodosumi's own page on the same site keep working.
/// </summary>
[Category("Integration")]
public class CrossSiteTests
{
    const string Stats = "/api/dashboard/agent-stats";

    static HttpRequestMessage FormLogin(string route, params (string Name, string Value)[] headers)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, route)
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["name"] = Alice.Name, ["password"] = Alice.Password, ["next"] = "/" }),
        };
        request.Headers.Add("X-Forwarded-For", NewClientAddress());
        foreach (var (name, value) in headers) request.Headers.TryAddWithoutValidation(name, value);
        return request;
    }

    [TestCase("/login", "Sec-Fetch-Site", "cross-site")]
    [TestCase("/admin/login", "Sec-Fetch-Site", "cross-site")]
    [TestCase("/login", "Origin", "https://evil.example")]
    [TestCase("/admin/login", "Origin", "null")]
    public async Task A_sign_in_form_posted_from_another_site_is_refused(string route, string header, string value)
    {
        using var client = Anonymous();
        using var response = await client.SendAsync(FormLogin(route, (header, value)));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(response.Headers.Contains("Set-Cookie"), Is.False, "no session is set");
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain(header), "the problem names the header");
    }

    [Test]
    public async Task The_services_own_form_and_api_clients_still_sign_in()
    {
        using var client = Anonymous();
        var port = Service.Client.BaseAddress!.Port;
        using (var own = await client.SendAsync(FormLogin("/admin/login", ("Sec-Fetch-Site", "same-origin"), ("Origin", $"http://127.0.0.1:{port}"))))
            Assert.That(own.StatusCode, Is.EqualTo(HttpStatusCode.SeeOther), "the sign-in page's own form");
        using (var byOrigin = await client.SendAsync(FormLogin("/admin/login", ("Origin", $"http://127.0.0.1:{port}"))))
            Assert.That(byOrigin.StatusCode, Is.EqualTo(HttpStatusCode.SeeOther), "a browser that sends only Origin");
        using var api = new HttpRequestMessage(HttpMethod.Post, "/api/login") { Content = JsonContent.Create(new { name = Alice.Name, password = Alice.Password }) };
        api.Headers.Add("X-Forwarded-For", NewClientAddress());
        Assert.That((await client.SendAsync(api)).StatusCode, Is.EqualTo(HttpStatusCode.OK), "an API client without either header");
    }

    static async Task<HttpStatusCode> Logout(string token, string? fetchSite)
    {
        using var client = Anonymous();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/logout");
        request.Headers.TryAddWithoutValidation("Cookie", $"kodosumi_jwt={token}");
        if (fetchSite is not null) request.Headers.TryAddWithoutValidation("Sec-Fetch-Site", fetchSite);
        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }

    static async Task<HttpStatusCode> Use(string token)
    {
        using var client = WithToken(token);
        return (await client.GetAsync(Stats)).StatusCode;
    }

    [Test]
    public async Task A_logout_from_another_site_is_refused_and_one_from_the_same_site_works()
    {
        var token = await SignIn(Alice);
        Assert.That(await Logout(token, "cross-site"), Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(await Use(token), Is.EqualTo(HttpStatusCode.OK), "the victim's token still works");

        Assert.That(await Logout(token, "same-site"), Is.EqualTo(HttpStatusCode.NoContent), "Kodosumi's own page on the same site");
        Assert.That(await Use(token), Is.EqualTo(HttpStatusCode.Unauthorized));

        var another = await SignIn(Alice);
        Assert.That(await Logout(another, null), Is.EqualTo(HttpStatusCode.NoContent), "a client that says nothing of sites");
        Assert.That(await Use(another), Is.EqualTo(HttpStatusCode.Unauthorized));
    }
}
