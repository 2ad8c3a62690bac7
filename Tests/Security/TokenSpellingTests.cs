using System.Net;
using Kodosumi.Tests.Resilience;
using Kodosumi.Tests.Support;
using static Kodosumi.Tests.Security.SecurityService;

namespace Kodosumi.Tests.Security;

/// <summary>Issue 21, point 1: a logged-out token stays refused in every spelling, by the API and the stream, and after a restart.</summary>
[Category("Integration")]
public class TokenSpellingTests
{
    const string Stats = "/api/dashboard/agent-stats";

    static async Task<HttpStatusCode> StatusWith(HttpClient client, string url, string? header = null, string? cookie = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (header is not null) request.Headers.TryAddWithoutValidation("KODOSUMI_API_KEY", header);
        if (cookie is not null) request.Headers.TryAddWithoutValidation("Cookie", $"kodosumi_jwt={cookie}");
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        return response.StatusCode;
    }

    /// <summary>The token as the attack spelled it: padded, percent-encoded padding in the cookie, and the plain one.</summary>
    static async Task AssertRefusedInEverySpelling(HttpClient client, string token, string when)
    {
        foreach (var url in new[] { Stats, "/api/dashboard/stream" })
        {
            Assert.That(await StatusWith(client, url, header: token), Is.EqualTo(HttpStatusCode.Unauthorized), $"{when}: {url}, header");
            Assert.That(await StatusWith(client, url, header: token + "="), Is.EqualTo(HttpStatusCode.Unauthorized), $"{when}: {url}, header with '='");
            Assert.That(await StatusWith(client, url, header: token + "=="), Is.EqualTo(HttpStatusCode.Unauthorized), $"{when}: {url}, header with '=='");
            Assert.That(await StatusWith(client, url, cookie: token), Is.EqualTo(HttpStatusCode.Unauthorized), $"{when}: {url}, cookie");
            Assert.That(await StatusWith(client, url, cookie: token + "%3D"), Is.EqualTo(HttpStatusCode.Unauthorized), $"{when}: {url}, cookie with %3D");
            Assert.That(await StatusWith(client, url, cookie: token + "="), Is.EqualTo(HttpStatusCode.Unauthorized), $"{when}: {url}, cookie with '='");
        }
    }

    [Test]
    public async Task A_logged_out_token_is_refused_in_every_spelling_by_the_api_and_the_stream_and_after_a_restart()
    {
        var indexDir = TempDirs.Create("kodo-revoked-index");
        var indexPath = Path.Combine(indexDir, "index.db");
        try
        {
            string token;
            using (var service = await ServiceUnderTest.StartReadyAsync(DataDir, indexPath, settings: Settings()))
            {
                token = await SignIn(Alice, service);
                using var client = Anonymous(service);
                Assert.That(await StatusWith(client, Stats, header: token), Is.EqualTo(HttpStatusCode.OK), "signed in");
                using var logout = new HttpRequestMessage(HttpMethod.Post, "/logout");
                logout.Headers.Add("KODOSUMI_API_KEY", token);
                Assert.That((await client.SendAsync(logout)).IsSuccessStatusCode, "logged out");
                await AssertRefusedInEverySpelling(client, token, "after the logout");
                Assert.That(service.Terminate(TimeSpan.FromSeconds(20)), Is.Not.Null, "the service stops");
            }
            using (var again = await ServiceUnderTest.StartReadyAsync(DataDir, indexPath, settings: Settings()))
            {
                using var client = Anonymous(again);
                await AssertRefusedInEverySpelling(client, token, "after a restart");
                Assert.That(await StatusWith(client, Stats, header: await SignIn(Alice, again)), Is.EqualTo(HttpStatusCode.OK),
                    "a new login of the same user still works");
            }
        }
        finally
        {
            TempDirs.Delete(indexDir);
        }
    }
}
