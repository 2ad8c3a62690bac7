using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Kodosumi.Tests.Resilience;
using Kodosumi.Tests.Support;
using static Kodosumi.Tests.Security.SecurityService;

namespace Kodosumi.Tests.Security;

/// <summary>Issue 21, point 7: the pages allow only this service's own code, stay out of frames, and the cookie is Secure behind a TLS proxy.</summary>
[Category("Integration")]
public partial class PageHeaderTests
{
    [Test]
    public async Task Both_pages_carry_a_strict_content_security_policy_and_no_inline_script()
    {
        var token = await SignIn(Alice);
        using var client = Anonymous();
        foreach (var page in new[] { "/admin/login", "/admin/dashboard" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, page);
            if (page == "/admin/dashboard") request.Headers.TryAddWithoutValidation("Cookie", $"kodosumi_jwt={token}");
            using var response = await client.SendAsync(request);
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), page);
            var csp = string.Join(";", response.Headers.GetValues("Content-Security-Policy"));
            var directives = csp.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                .ToDictionary(d => d.Split(' ')[0], d => d.Split(' ').Skip(1).ToArray());
            Assert.Multiple(() =>
            {
                foreach (var name in new[] { "script-src", "style-src", "font-src" })
                    Assert.That(directives.GetValueOrDefault(name) ?? directives.GetValueOrDefault("default-src"), Is.EqualTo(new[] { "'self'" }), $"{page}: {name}");
                Assert.That(directives.GetValueOrDefault("frame-ancestors"), Is.EqualTo(new[] { "'none'" }), $"{page}: frame-ancestors");
                Assert.That(response.Headers.GetValues("X-Content-Type-Options").Single(), Is.EqualTo("nosniff"));
                Assert.That(response.Headers.GetValues("Referrer-Policy").Single(), Is.EqualTo("same-origin"));
            });
            var html = await response.Content.ReadAsStringAsync();
            Assert.That(InlineScript().Matches(html).Select(m => m.Value), Is.Empty, $"{page}: every script is a file");
            Assert.That(InlineHandler().Matches(html).Select(m => m.Value), Is.Empty, $"{page}: no event handler attributes");
            Assert.That(StyleAttribute().Matches(html).Select(m => m.Value), Is.Empty, $"{page}: no style attributes");
        }
    }

    [Test]
    public async Task The_session_cookie_is_secure_behind_a_tls_proxy()
    {
        using var client = Anonymous();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/login") { Content = JsonContent.Create(new { name = Alice.Name, password = Alice.Password }) };
        request.Headers.Add("X-Forwarded-For", NewClientAddress());
        request.Headers.Add("X-Forwarded-Proto", "https");
        using var response = await client.SendAsync(request);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var cookie = response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("kodosumi_jwt=", StringComparison.Ordinal));
        Assert.That(cookie.ToLowerInvariant(), Does.Contain("; secure"), "X-Forwarded-Proto from a trusted proxy");

        // A proxy whose headers are not believed: the setting says the browser uses HTTPS.
        var indexDir = TempDirs.Create("kodo-secure-index");
        using var cleanup = new DeleteOnDispose(indexDir);
        using var service = await ServiceUnderTest.StartReadyAsync(DataDir, Path.Combine(indexDir, "index.db"),
            settings: new Dictionary<string, string> { ["Auth:SecureCookie"] = "true" });
        using var plain = Anonymous(service);
        using var login = await plain.PostAsJsonAsync("/api/login", new { name = Alice.Name, password = Alice.Password });
        Assert.That(login.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("kodosumi_jwt=", StringComparison.Ordinal)).ToLowerInvariant(),
            Does.Contain("; secure"), "Auth:SecureCookie");
    }

    /// <summary>A script element with content between its tags.</summary>
    [GeneratedRegex(@"<script\b[^>]*>\s*[^<\s][^<]*</script>", RegexOptions.IgnoreCase)]
    private static partial Regex InlineScript();

    [GeneratedRegex(@"<[^>]+\son[a-z]+\s*=", RegexOptions.IgnoreCase)]
    private static partial Regex InlineHandler();

    [GeneratedRegex(@"<[^>]+\sstyle\s*=", RegexOptions.IgnoreCase)]
    private static partial Regex StyleAttribute();
}
