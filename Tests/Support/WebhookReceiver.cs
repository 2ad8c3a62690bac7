using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Kodosumi.Tests.Support;

/// <summary>One POST a <see cref="WebhookReceiver"/> got, and the status it answered.</summary>
public sealed record ReceivedHook(string Path, byte[] Body, string? Signature, int Answered)
{
    public string Text => Encoding.UTF8.GetString(Body);
    public JsonElement Json => JsonDocument.Parse(Body).RootElement;
}

/// <summary>
/// A webhook receiver on loopback (<see cref="HttpListener"/>): records every request and answers 200, or 500
/// for as many requests to a path as the test asks for.
/// </summary>
public sealed class WebhookReceiver : IDisposable
{
    readonly HttpListener _listener = new();
    readonly Dictionary<string, int> _failures = new(StringComparer.Ordinal);
    readonly Lock _gate = new();
    readonly CancellationTokenSource _stop = new();
    readonly Task _loop;

    public ConcurrentQueue<ReceivedHook> Received { get; } = new();
    public string BaseUrl { get; }

    public WebhookReceiver()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        BaseUrl = $"http://127.0.0.1:{port}";
        _listener.Prefixes.Add(BaseUrl + "/");
        _listener.Start();
        _loop = Task.Run(Serve);
    }

    public string Url(string path) => $"{BaseUrl}/{path}";

    /// <summary>The next <paramref name="count"/> requests to <paramref name="path"/> are answered 500 (int.MaxValue: until told otherwise).</summary>
    public void FailNext(string path, int count)
    {
        lock (_gate) _failures[path] = count;
    }

    bool TakeFailure(string path)
    {
        lock (_gate)
        {
            if (!_failures.TryGetValue(path, out var left) || left == 0) return false;
            if (left != int.MaxValue) _failures[path] = left - 1;
            return true;
        }
    }

    public List<ReceivedHook> To(string path) => Received.Where(r => r.Path == path).ToList();

    /// <summary>Waits until the requests to <paramref name="path"/> satisfy <paramref name="done"/>; fails with what arrived.</summary>
    public async Task<List<ReceivedHook>> Until(string path, Func<List<ReceivedHook>, bool> done, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (DateTime.UtcNow < deadline)
        {
            var got = To(path);
            if (done(got)) return got;
            await Task.Delay(50);
        }
        Assert.Fail($"{what}: the receiver got {string.Join(" | ", To(path).Select(r => $"{r.Answered} {r.Text}"))}");
        return [];
    }

    async Task Serve()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
            {
                return;
            }
            using var body = new MemoryStream();
            await context.Request.InputStream.CopyToAsync(body);
            var path = context.Request.Url!.AbsolutePath.Trim('/');
            var status = TakeFailure(path) ? 500 : 200;
            Received.Enqueue(new ReceivedHook(path, body.ToArray(), context.Request.Headers["X-Kodosumi-Signature"], status));
            context.Response.StatusCode = status;
            context.Response.Close();
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Close();
        try { _loop.Wait(TimeSpan.FromSeconds(2)); } catch (AggregateException) { }
        _stop.Dispose();
    }
}
