using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using static Kodosumi.Tests.Security.SecurityService;

namespace Kodosumi.Tests.Security;

/// <summary>Issue 21, point 9: a wrong login takes as long for an unknown name as for a known one, so its time names no account.</summary>
[Category("Integration")]
public class AccountNameTimingTests
{
    static async Task<TimeSpan> TimeLogin(HttpClient client, string name)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/login") { Content = JsonContent.Create(new { name, password = "wrong" }) };
        request.Headers.Add("X-Forwarded-For", NewClientAddress());
        var clock = Stopwatch.StartNew();
        using var response = await client.SendAsync(request);
        var elapsed = clock.Elapsed;
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        return elapsed;
    }

    static double Median(List<TimeSpan> times) => times.Select(t => t.TotalMilliseconds).Order().ElementAt(times.Count / 2);

    [Test]
    public async Task An_unknown_name_and_a_known_one_fail_in_about_the_same_time()
    {
        using var client = Anonymous();
        await TimeLogin(client, "warm-up");
        var known = new List<TimeSpan>();
        var unknown = new List<TimeSpan>();
        // Interleaved, so a burst of load on the machine falls on both alike; compared by medians, with a wide margin.
        for (var i = 0; i < 15; i++)
        {
            known.Add(await TimeLogin(client, Alice.Name));
            unknown.Add(await TimeLogin(client, $"nobody-{Guid.NewGuid():N}"));
        }
        var ratio = Median(unknown) / Median(known);
        Assert.That(ratio, Is.InRange(1 / 4.0, 4.0), $"median unknown {Median(unknown):F1} ms, known {Median(known):F1} ms");
    }
}
