using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Kodosumi.Tests.Resilience;
using Kodosumi.Tests.Support;
using static Kodosumi.Tests.Security.SecurityService;

namespace Kodosumi.Tests.Security;

/// <summary>Issue 21, point 3: tries counted before they are checked, IPv6 clients by /64, and a name under attack slowed down.</summary>
[Category("Integration")]
public class FailedLoginLimitTests
{
    static async Task<HttpStatusCode> Login(HttpClient client, string name, string password, string address)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/login") { Content = JsonContent.Create(new { name, password }) };
        request.Headers.Add("X-Forwarded-For", address);
        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }

    [Test]
    public async Task Concurrent_wrong_passwords_from_one_client_get_exactly_the_limit_of_verdicts()
    {
        using var client = Anonymous();
        var address = NewClientAddress();
        var statuses = await Task.WhenAll(Enumerable.Range(0, 100).Select(i => Login(client, "nobody-" + i, "wrong", address)));
        Assert.That(statuses.Count(s => s == HttpStatusCode.Unauthorized), Is.EqualTo(5), "verdicts: the limit, not more");
        Assert.That(statuses.Count(s => s == HttpStatusCode.TooManyRequests), Is.EqualTo(95));
    }

    [Test]
    public async Task The_addresses_of_one_IPv6_64_share_one_budget()
    {
        using var client = Anonymous();
        for (var i = 1; i <= 5; i++)
            Assert.That(await Login(client, "nobody", "wrong", $"2001:db8:21:3::{i:x}"), Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(await Login(client, "nobody", "wrong", "2001:db8:21:3:ffff:1:2:3"), Is.EqualTo(HttpStatusCode.TooManyRequests),
            "another address of the same /64");
        Assert.That(await Login(client, "nobody", "wrong", "2001:db8:21:4::1"), Is.EqualTo(HttpStatusCode.Unauthorized), "the next /64 has its own");
    }

    [Test]
    public async Task A_name_under_attack_from_many_addresses_is_slowed_down_but_not_locked_out()
    {
        var step = TimeSpan.FromMilliseconds(600);
        var indexDir = TempDirs.Create("kodo-slowdown-index");
        using var cleanup = new DeleteOnDispose(indexDir);
        using var service = await ServiceUnderTest.StartReadyAsync(DataDir, Path.Combine(indexDir, "index.db"), settings: Settings(
            ("Auth:AccountSlowdownAfter", "3"), ("Auth:AccountSlowdownStep", step.ToString()), ("Auth:AccountSlowdownMax", (step * 2).ToString()),
            ("Auth:FailedLoginWindow", "00:10:00")));
        using var client = Anonymous(service);
        var times = new List<TimeSpan>();
        for (var i = 0; i < 6; i++)
        {
            var clock = Stopwatch.StartNew();
            Assert.That(await Login(client, Bob.Name, "wrong", NewClientAddress()), Is.EqualTo(HttpStatusCode.Unauthorized), $"try {i + 1}, a new address each");
            times.Add(clock.Elapsed);
        }
        // The first three fail at the cost of a hash; from the fourth, each waits at least the configured step first.
        Assert.That(times.Skip(3), Has.All.GreaterThanOrEqualTo(step * 0.9), string.Join(", ", times.Select(t => $"{t.TotalMilliseconds:F0} ms")));
        var right = Stopwatch.StartNew();
        Assert.That(await Login(client, Bob.Name, Bob.Password, NewClientAddress()), Is.EqualTo(HttpStatusCode.OK), "the owner still signs in");
        Assert.That(right.Elapsed, Is.GreaterThanOrEqualTo(step * 0.9), "slowed like every try of the name");
        Assert.That(await Login(client, Alice.Name, "wrong", NewClientAddress()), Is.EqualTo(HttpStatusCode.Unauthorized));
    }
}
