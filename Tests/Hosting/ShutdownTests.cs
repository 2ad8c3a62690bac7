using Kodosumi.Shared.Demo;
using Kodosumi.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Kodosumi.Tests.Hosting;

/// <summary>A stopping service ends its live streams instead of waiting for their clients (or its shutdown timeout).</summary>
[Category("Integration")]
public class ShutdownTests
{
    [Test]
    public async Task Open_live_streams_end_as_soon_as_the_service_begins_to_stop()
    {
        using var data = HostedDataSet.Create("kodo-shutdown", new DemoOptions { Executions = 5, Seed = 6 });
        await data.StartAsync();
        var host = data.Host;
        using var client = host.ClientFor(IndexerHost.Operator);
        var streams = new List<Stream>();
        for (var i = 0; i < 2; i++)
        {
            var response = await client.GetAsync("/api/dashboard/stream", HttpCompletionOption.ResponseHeadersRead);
            response.EnsureSuccessStatusCode();
            var body = await response.Content.ReadAsStreamAsync();
            Assert.That(await body.ReadAsync(new byte[1]), Is.EqualTo(1), "the stream opened with its first frame");
            streams.Add(body);
        }

        host.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();

        // The heartbeat is 15 s by default: a stream that ignored the stop would still be open long after this.
        using var soon = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        var buffer = new byte[4096];
        try
        {
            foreach (var body in streams)
                while (await body.ReadAsync(buffer, soon.Token) > 0) { }
        }
        catch (OperationCanceledException) when (soon.IsCancellationRequested)
        {
            Assert.Fail("a live stream was still open 5 s after the service began to stop");
        }
    }
}
