using System.Net;
using System.Net.Sockets;
using System.Text;
using Kodosumi.Tests.Resilience;
using Kodosumi.Tests.Support;
using static Kodosumi.Tests.Security.SecurityService;

namespace Kodosumi.Tests.Security;

/// <summary>Issue 21, point 2: login routes take small bodies only, and a client out of tries is answered before its body is read.</summary>
[Category("Integration")]
public class LoginBodyTests
{
    static HttpRequestMessage Login(string route, int passwordLength, string client)
    {
        var password = new string('x', passwordLength);
        var request = new HttpRequestMessage(HttpMethod.Post, route)
        {
            Content = route == "/api/login"
                ? new StringContent($"{{\"name\":\"nobody\",\"password\":\"{password}\"}}", Encoding.UTF8, "application/json")
                : new StringContent($"name=nobody&password={password}&next=/", Encoding.UTF8, "application/x-www-form-urlencoded"),
        };
        request.Headers.Add("X-Forwarded-For", client);
        return request;
    }

    [TestCase("/api/login")]
    [TestCase("/login")]
    [TestCase("/admin/login")]
    public async Task A_login_body_over_16_KB_is_refused_with_413_and_one_below_is_checked(string route)
    {
        using var client = Anonymous();
        using var large = await client.SendAsync(Login(route, 16 * 1024 + 1, NewClientAddress()));
        Assert.That(large.StatusCode, Is.EqualTo(HttpStatusCode.RequestEntityTooLarge));
        using var small = await client.SendAsync(Login(route, 15 * 1024, NewClientAddress()));
        Assert.That(small.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), "a body within the limit is a login like any other");
    }

    [Test]
    public async Task A_client_out_of_tries_is_answered_429_before_it_sends_its_body()
    {
        var address = NewClientAddress();
        using var client = Anonymous();
        for (var i = 0; i < 5; i++)
            Assert.That((await client.SendAsync(Login("/api/login", 8, address))).StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));

        // Headers announce a body that never comes: the answer must not wait for it.
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", Service.Client.BaseAddress!.Port);
        var stream = tcp.GetStream();
        var head = $"POST /api/login HTTP/1.1\r\nHost: localhost\r\nX-Forwarded-For: {address}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{\"name\":";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var buffer = new byte[4096];
        var read = await stream.ReadAsync(buffer, timeout.Token);
        Assert.That(Encoding.ASCII.GetString(buffer, 0, read), Does.StartWith("HTTP/1.1 429"));
    }

    [Test]
    public async Task Many_concurrent_huge_login_bodies_do_not_grow_the_service()
    {
        // A process of its own: its peak so far is its start, not what other tests made it do.
        var indexDir = TempDirs.Create("kodo-body-index");
        using var cleanup = new DeleteOnDispose(indexDir);
        using var service = await ServiceUnderTest.StartReadyAsync(DataDir, Path.Combine(indexDir, "index.db"), settings: Settings());
        var before = service.PeakRss();
        const int Bodies = 32;
        var body = new byte[8 * 1024 * 1024];
        // Valid JSON throughout: a parser has to take in the whole password before it can say anything.
        var head = Encoding.ASCII.GetBytes("{\"name\":\"nobody\",\"password\":\"");
        head.CopyTo(body, 0);
        Array.Fill(body, (byte)'x', head.Length, body.Length - head.Length - 2);
        Encoding.ASCII.GetBytes("\"}").CopyTo(body, body.Length - 2);
        using var client = Anonymous(service);
        var statuses = await Task.WhenAll(Enumerable.Range(0, Bodies).Select(async _ =>
        {
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, "/api/login") { Content = new ByteArrayContent(body) };
                request.Content.Headers.ContentType = new("application/json");
                request.Headers.Add("X-Forwarded-For", NewClientAddress());
                using var response = await client.SendAsync(request);
                return (int)response.StatusCode;
            }
            catch (HttpRequestException)
            {
                return 0; // the service closed the connection while the body was still being sent
            }
        }));
        Assert.That(statuses, Has.None.EqualTo(401).And.None.EqualTo(500), "no huge body was read and checked");
        Assert.That(service.HasExited, Is.False);
        var grown = service.PeakRss() - before;
        Assert.That(grown, Is.LessThan(Bodies * body.Length / 2), $"peak memory grew by {grown / 1048576} MB for {Bodies} bodies of {body.Length / 1048576} MB");
    }
}

/// <summary>Deletes a temporary folder when the test is done with it.</summary>
sealed class DeleteOnDispose(string dir) : IDisposable
{
    public void Dispose() => TempDirs.Delete(dir);
}
