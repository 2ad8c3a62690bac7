using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Kodosumi.Tests.Browser;

/// <summary>
/// A stand-in for a proxy that buffers event streams: it passes a stream request on to the service
/// and its answer back, until <see cref="Hold"/>; from then on it keeps every connection open and
/// passes nothing more (a new one gets the answer's headers and no event). A page's requests reach it
/// through a Playwright route that continues them to <see cref="UrlFor"/>.
/// </summary>
public sealed class StallingProxy : IAsyncDisposable
{
    readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    readonly HttpClient _upstream;
    readonly CancellationTokenSource _stop = new();
    readonly Task _accepting;
    volatile bool _holding;
    int _connections;
    readonly List<string> _targets = [];
    string _lastIdPassed = "";

    public StallingProxy(string upstream)
    {
        // The page's cookie is passed on as it came, so the service signs the request in.
        _upstream = new HttpClient(new HttpClientHandler { UseCookies = false }) { BaseAddress = new Uri(upstream), Timeout = Timeout.InfiniteTimeSpan };
        _listener.Start();
        _accepting = AcceptAsync();
    }

    /// <summary>Connections the proxy has taken.</summary>
    public int Connections => Volatile.Read(ref _connections);

    /// <summary>The path and query of every request, in order.</summary>
    public IReadOnlyList<string> Targets { get { lock (_targets) return [.. _targets]; } }

    /// <summary>The last event id passed on to the page.</summary>
    public string LastIdPassed => Volatile.Read(ref _lastIdPassed);

    /// <summary>The proxy's address for a URL of the service.</summary>
    public string UrlFor(string serviceUrl)
    {
        var uri = new Uri(serviceUrl);
        return $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}{uri.PathAndQuery}";
    }

    /// <summary>From now on nothing more reaches the page, on any connection.</summary>
    public void Hold() => _holding = true;

    async Task AcceptAsync()
    {
        var connections = new List<Task>();
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                Interlocked.Increment(ref _connections);
                connections.Add(ServeAsync(client));
            }
        }
        catch (OperationCanceledException) { }
        await Task.WhenAll(connections);
    }

    async Task ServeAsync(TcpClient client)
    {
        using var _ = client;
        var ct = _stop.Token;
        try
        {
            var socket = client.GetStream();
            var (target, headers) = await ReadRequestHeadAsync(socket, ct);
            lock (_targets) _targets.Add(target);
            using var request = new HttpRequestMessage(HttpMethod.Get, target);
            foreach (var name in new[] { "Cookie", "Last-Event-ID", "Accept" })
                if (headers.TryGetValue(name, out var value)) request.Headers.TryAddWithoutValidation(name, value);
            using var response = await _upstream.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            var head = $"HTTP/1.1 {(int)response.StatusCode} {response.ReasonPhrase}\r\n" +
                       $"Content-Type: {response.Content.Headers.ContentType}\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n";
            await socket.WriteAsync(Encoding.ASCII.GetBytes(head), ct);
            await using var body = await response.Content.ReadAsStreamAsync(ct);
            var buffer = new byte[8192];
            var passed = new StringBuilder();
            int read;
            while (!_holding && (read = await body.ReadAsync(buffer, ct)) > 0)
            {
                if (_holding) break; // what came after the hold stays here
                await socket.WriteAsync(buffer.AsMemory(0, read), ct);
                passed.Append(Encoding.UTF8.GetString(buffer, 0, read));
                RememberLastId(passed.ToString());
            }
            await Task.Delay(Timeout.Infinite, ct); // held: open, silent
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or HttpRequestException) { }
    }

    void RememberLastId(string passed)
    {
        var id = passed.Split('\n').LastOrDefault(line => line.StartsWith("id: ", StringComparison.Ordinal));
        if (id is not null) Volatile.Write(ref _lastIdPassed, id["id: ".Length..]);
    }

    static async Task<(string Target, Dictionary<string, string> Headers)> ReadRequestHeadAsync(NetworkStream socket, CancellationToken ct)
    {
        var head = new StringBuilder();
        var one = new byte[1];
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            if (await socket.ReadAsync(one, ct) == 0) throw new IOException("the request ended early");
            head.Append((char)one[0]);
        }
        var lines = head.ToString().Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        var headers = lines.Skip(1).Select(l => l.Split(':', 2)).Where(p => p.Length == 2)
            .ToDictionary(p => p[0].Trim(), p => p[1].Trim(), StringComparer.OrdinalIgnoreCase);
        return (lines[0].Split(' ')[1], headers);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        _upstream.Dispose();
        _stop.Dispose();
    }
}
