using System.Collections.Concurrent;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Kodosumi.Tests.Support;

/// <summary>
/// A stand-in OpenTelemetry collector on loopback: accepts OTLP/HTTP protobuf exports at <c>/v1/traces</c> and
/// <c>/v1/metrics</c> and keeps their bodies. Protobuf keeps strings as UTF-8 bytes, so names can be looked for in them.
/// </summary>
public sealed class OtlpReceiver : IAsyncDisposable
{
    readonly WebApplication _app;
    readonly ConcurrentQueue<Export> _exports;

    public sealed record Export(string Signal, string? ContentType, byte[] Body);

    OtlpReceiver(WebApplication app, ConcurrentQueue<Export> exports)
    {
        _app = app;
        _exports = exports;
        Endpoint = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
    }

    /// <summary>The base address, as <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> takes it (the exporter appends /v1/...).</summary>
    public string Endpoint { get; }

    public static async Task<OtlpReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var exports = new ConcurrentQueue<Export>();
        app.MapPost("/v1/{signal}", async (string signal, HttpContext http) =>
        {
            using var body = new MemoryStream();
            await http.Request.Body.CopyToAsync(body);
            exports.Enqueue(new Export(signal, http.Request.ContentType, body.ToArray()));
            // An empty Export*ServiceResponse: success, nothing rejected.
            return Results.Bytes([], "application/x-protobuf");
        });
        await app.StartAsync();
        return new OtlpReceiver(app, exports);
    }

    /// <summary>Whether any export of <paramref name="signal"/> (traces, metrics) holds <paramref name="text"/>.</summary>
    public bool Received(string signal, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        return _exports.Any(e => e.Signal == signal && e.Body.AsSpan().IndexOf(bytes) >= 0);
    }

    /// <summary>The content types the exports of <paramref name="signal"/> came with.</summary>
    public IReadOnlyList<string?> ContentTypes(string signal) => _exports.Where(e => e.Signal == signal).Select(e => e.ContentType).Distinct().ToList();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
