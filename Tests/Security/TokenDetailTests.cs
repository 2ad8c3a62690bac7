using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Kodosumi.Tests.Auth;
using static Kodosumi.Tests.Security.SecurityService;

namespace Kodosumi.Tests.Security;

/// <summary>Issue 21, point 10: the challenge says only that the token failed; unknown critical extensions and two session cookies are refused.</summary>
[Category("Integration")]
public class TokenDetailTests
{
    const string Stats = "/api/dashboard/agent-stats";

    [Test]
    public async Task The_challenge_of_an_expired_token_says_only_that_it_failed()
    {
        using var client = WithToken(TestJwt.For(Alice.FolderName, validFor: TimeSpan.FromHours(-1)));
        using var response = await client.GetAsync(Stats);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        var challenge = string.Join(", ", response.Headers.WwwAuthenticate.Select(h => h.ToString()));
        Assert.That(challenge, Is.EqualTo("Bearer error=\"invalid_token\""), "no description, no expiry time");
    }

    [Test]
    public async Task A_token_naming_an_unknown_critical_extension_is_refused()
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var payload = new Dictionary<string, object> { ["sub"] = Alice.FolderName, ["iat"] = now, ["exp"] = now + 3600 };
        using (var plain = WithToken(Sign(new Dictionary<string, object> { ["alg"] = "HS256", ["typ"] = "JWT" }, payload)))
            Assert.That((await plain.GetAsync(Stats)).StatusCode, Is.EqualTo(HttpStatusCode.OK), "the same token without crit signs in");
        var critical = new Dictionary<string, object> { ["alg"] = "HS256", ["typ"] = "JWT", ["crit"] = new[] { "x-kodosumi-unknown" }, ["x-kodosumi-unknown"] = true };
        using var client = WithToken(Sign(critical, payload));
        Assert.That((await client.GetAsync(Stats)).StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    [Test]
    public async Task Two_session_cookies_are_refused_instead_of_taking_one()
    {
        var alices = TestJwt.For(Alice.FolderName);
        var bobs = TestJwt.For(Bob.FolderName);
        using var client = Anonymous();
        foreach (var cookie in new[] { $"kodosumi_jwt={alices}; kodosumi_jwt={bobs}", $"kodosumi_jwt={alices}; other=1; kodosumi_jwt={alices}" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, Stats);
            request.Headers.TryAddWithoutValidation("Cookie", cookie);
            Assert.That((await client.SendAsync(request)).StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), cookie[..40]);
        }
        using var one = new HttpRequestMessage(HttpMethod.Get, Stats);
        one.Headers.TryAddWithoutValidation("Cookie", $"other=1; kodosumi_jwt={alices}");
        Assert.That((await client.SendAsync(one)).StatusCode, Is.EqualTo(HttpStatusCode.OK), "one cookie signs in");
    }

    /// <summary>An HS256 token with any header, signed with the demo's secret (RFC 7515, written here).</summary>
    static string Sign(Dictionary<string, object> header, Dictionary<string, object> payload)
    {
        var input = Base64Url(JsonSerializer.SerializeToUtf8Bytes(header)) + "." + Base64Url(JsonSerializer.SerializeToUtf8Bytes(payload));
        return input + "." + Base64Url(HMACSHA256.HashData(Encoding.UTF8.GetBytes(TestJwt.DefaultSecret), Encoding.ASCII.GetBytes(input)));
    }

    static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
