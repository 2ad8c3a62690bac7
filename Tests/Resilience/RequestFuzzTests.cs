using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Kodosumi.Shared.Demo;
using Kodosumi.Tests.Auth;
using Kodosumi.Tests.Support;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Kodosumi.Tests.Resilience;

/// <summary>
/// Random and malformed paths, query strings, methods and bodies on every route the app maps, sent to the
/// service as its own process over real HTTP (and some as raw bytes past any client's checks): never a 5xx,
/// and the process stays up with its numbers intact.
/// </summary>
[Category("Resilience")]
public partial class RequestFuzzTests
{
    const int Requests = 3000;
    static readonly string[] KnownParameters = ["hours", "limit", "offset", "sort", "status", "agent_name", "user", "search", "name", "password", "next"];

    [Test]
    public async Task Thousands_of_random_and_malformed_requests_on_every_route_get_no_5xx_and_the_service_stays_up()
    {
        using var folders = ServiceFolders.Create("kodo-fuzz");
        var (dataDir, indexDir) = folders;
        var root = Path.Combine(dataDir, "execution");
        var fids = new DemoDataGenerator(new DemoOptions { Executions = 40, Seed = 31 }).Generate(dataDir);
        var routes = RoutesOfTheApp(dataDir);
        Assert.That(routes.Select(r => r.Pattern), Has.Some.Contains("/api/dashboard/execution/{fid}/details"), "the route list comes from the app");
        TestContext.Out.WriteLine("routes: " + string.Join(", ", routes.Select(r => $"{string.Join('|', r.Methods)} {r.Pattern}")));

        // Failed logins are part of the noise; their limit is tested elsewhere and would lock out the final check.
        using var service = await ServiceUnderTest.StartReadyAsync(dataDir, Path.Combine(indexDir, "index.db"),
            settings: new Dictionary<string, string> { ["Auth:FailedLoginLimit"] = "1000000" });
        var port = service.Client.BaseAddress!.Port;
        using var anonymous = new HttpClient { BaseAddress = service.Client.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        var random = new Random(7007);
        var serverErrors = new List<string>();
        var answers = new Dictionary<int, int>();
        for (var i = 0; i < Requests; i++)
        {
            var route = routes[random.Next(routes.Count)];
            var target = RoutePath(route.Pattern, fids, random) + Query(random);
            var method = random.Next(8) == 0 ? Pick(random, "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS") : Pick(random, [.. route.Methods]);
            int status;
            if (random.Next(10) == 0)
            {
                target = Mangle(target, random);
                status = await Raw(port, method, target, random);
            }
            else
            {
                using var request = new HttpRequestMessage(new HttpMethod(method), target);
                if (method is "POST" or "PUT" or "PATCH") request.Content = Body(random);
                if (random.Next(5) == 0) request.Headers.TryAddWithoutValidation("KODOSUMI_API_KEY", Uri.EscapeDataString(Junk(random)));
                // Logging out would revoke the operator's token for the rest of the loop.
                var client = random.Next(4) == 0 || route.Pattern.Contains("logout", StringComparison.Ordinal) ? anonymous : service.Client;
                using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
                status = (int)response.StatusCode;
                // An event stream never ends; any other body is read to its end, which must not break off.
                if (response.Content.Headers.ContentType?.MediaType != "text/event-stream")
                    await response.Content.ReadAsByteArrayAsync();
            }
            answers[status] = answers.GetValueOrDefault(status) + 1;
            if (status >= 500) serverErrors.Add($"{status} {method} {target[..Math.Min(target.Length, 200)]}");
            Assert.That(service.HasExited, Is.False, $"the service ended after {method} {target}");
        }
        TestContext.Out.WriteLine("answers: " + string.Join(", ", answers.OrderBy(a => a.Key).Select(a => $"{a.Key}×{a.Value}")));
        Assert.That(serverErrors, Is.Empty, "no request gets a server error");
        Assert.That(answers.Keys.Where(s => s is < 200 or >= 500 and not 0), Is.Empty);
        Assert.That(answers.Keys.Count(s => s is >= 200 and < 300), Is.GreaterThan(0), "some requests were good ones");

        using var live = await anonymous.GetAsync("/health/live");
        Assert.That(live.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        await service.SignInAsync("admin", "admin");
        await ServiceUnderTest.AssertIndexEqualsRecount(service.Client, root);
    }

    sealed record Route(string Pattern, string[] Methods);

    /// <summary>Every route the app maps, with its methods, read from the built host's endpoint data source.</summary>
    static List<Route> RoutesOfTheApp(string dataDir)
    {
        using var host = new IndexerHost(dataDir);
        return host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Select(e => new Route("/" + e.RoutePattern.RawText!.TrimStart('/'),
                e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods.ToArray() is { Length: > 0 } methods ? methods : ["GET"]))
            .DistinctBy(r => r.Pattern + string.Join(',', r.Methods))
            .ToList();
    }

    static string RoutePath(string pattern, IReadOnlyList<string> fids, Random random) =>
        RouteParameter().Replace(pattern, m => m.Value.Contains("**", StringComparison.Ordinal)
            ? Pick(random, "a.txt", "../../admin.db", "x/y/z", "%2e%2e/%2e%2e/etc/passwd", "", Junk(random), "..%2F..%2Fsqlite3.db", new string('a', 3000))
            : m.Value.Contains("folder", StringComparison.Ordinal) ? Pick(random, "in", "out", "IN", "..", Junk(random))
            : Pick(random, fids[random.Next(fids.Count)], fids[random.Next(fids.Count)], "0", "not-a-fid", new string('f', 24), "..", "%00", Junk(random), new string('9', 500)));

    static string Query(Random random)
    {
        var parts = new List<string>();
        for (var n = random.Next(5); n > 0; n--)
        {
            var key = random.Next(4) == 0 ? Junk(random) : Pick(random, KnownParameters);
            parts.Add(random.Next(10) == 0 ? key : $"{key}={Value(random)}");
        }
        return parts.Count == 0 && random.Next(2) == 0 ? "" : "?" + string.Join(Pick(random, "&", "&", "&&", ";"), parts);
    }

    static string Value(Random random) => Pick(random,
        "", "0", "-1", "1", "24", "999999", "5000", "5001", "50001", "-999999999999", "99999999999999999999999", "1e309", "NaN", "Infinity",
        "-0", "0x10", "1.5", " 7", "%20", "%00", "%ff%fe", "%", "%%", "%zz", "true", "[]", "{}", "-", "-runtime", "start_time", "--fid",
        "running", "ERROR", "🙂", "%F0%9F%99%82", "' OR 1=1 --", "<script>", new string('x', 5000), Junk(random), Uri.EscapeDataString(Junk(random)));

    /// <summary>Random printable and control characters, some escaped, some not.</summary>
    static string Junk(Random random)
    {
        var chars = new char[random.Next(1, 40)];
        for (var i = 0; i < chars.Length; i++)
            chars[i] = random.Next(6) switch { 0 => (char)random.Next(0, 32), 1 => (char)random.Next(0x80, 0x3000), _ => (char)random.Next(32, 127) };
        var text = new string(chars);
        return random.Next(2) == 0 ? Uri.EscapeDataString(text) : text;
    }

    /// <summary>Breaks a request target in ways an HTTP client would refuse to send.</summary>
    static string Mangle(string target, Random random) => random.Next(6) switch
    {
        0 => target + "%",
        1 => target.Replace("/", "//", StringComparison.Ordinal),
        2 => target + "#frag?x=1",
        3 => "/api/dashboard/../../" + target.TrimStart('/'),
        4 => target + (char)random.Next(0x80, 0x100),
        _ => target.Insert(random.Next(target.Length + 1), Pick(random, "%00", "\t", "%G1", "\\", "?", "??", "&=&")),
    };

    static HttpContent Body(Random random)
    {
        var text = Pick(random, "", "{", "null", "[]", "{\"name\": 5}", "{\"name\": \"admin\", \"password\": \"wrong\"}", "name=admin&password=x", Junk(random), new string('{', 2000));
        return new StringContent(text, Encoding.UTF8, Pick(random, "application/json", "application/x-www-form-urlencoded", "text/plain", "multipart/form-data"));
    }

    /// <summary>Sends the request line as raw bytes and reads the status code; 0 when the server closes without answering.</summary>
    static async Task<int> Raw(int port, string method, string target, Random random)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port);
        var stream = tcp.GetStream();
        var auth = random.Next(2) == 0 ? $"KODOSUMI_API_KEY: {TestJwt.For(IndexerHost.Operator, TestJwt.DefaultSecret)}\r\n" : "";
        var request = $"{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}Content-Length: 0\r\nConnection: close\r\n\r\n";
        await stream.WriteAsync(Encoding.Latin1.GetBytes(request));
        using var reader = new StreamReader(stream, Encoding.Latin1);
        var statusLine = await reader.ReadLineAsync();
        return statusLine?.Split(' ') is [_, var code, ..] && int.TryParse(code, out var status) ? status : 0;
    }

    static T Pick<T>(Random random, params T[] items) => items[random.Next(items.Length)];

    [GeneratedRegex(@"\{[^}]+\}")]
    private static partial Regex RouteParameter();
}
