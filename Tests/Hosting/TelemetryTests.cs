using Kodosumi.Api.Metrics;
using Kodosumi.Shared.Demo;
using Kodosumi.Tests.Support;

namespace Kodosumi.Tests.Hosting;

/// <summary>With <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> set, traces and metrics reach an OTLP/HTTP receiver the test runs.</summary>
[Category("Integration")]
public class TelemetryTests
{
    [Test]
    public async Task Request_traces_the_indexer_meter_and_the_runtime_and_ASP_NET_Core_meters_go_out_over_OTLP()
    {
        await using var receiver = await OtlpReceiver.StartAsync();
        using var data = HostedDataSet.Create("kodo-otel", new DemoOptions { Executions = 10, Seed = 3 });
        // As the environment, like a deployment sets them: Program.cs decides before the test's own settings apply.
        var environment = new Dictionary<string, string>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.Endpoint,
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            // Export every fraction of a second instead of every minute (metrics) and five seconds (traces).
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "300",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
        };
        foreach (var (name, value) in environment) Environment.SetEnvironmentVariable(name, value);
        try
        {
            await data.StartAsync();
        }
        finally
        {
            foreach (var name in environment.Keys) Environment.SetEnvironmentVariable(name, null);
        }
        var client = data.Client;
        (await client.GetAsync("/api/dashboard/agent-stats")).EnsureSuccessStatusCode();

        string[] metrics = ["kodosumi.executions.indexed", "kodosumi.folded_executions", "kodosumi.indexer.build_info",
            "http.server.request.duration", "dotnet.gc.collections"];
        await Wait.Until(() => Task.FromResult(receiver.Received("traces", "/api/dashboard/agent-stats")
                && metrics.All(m => receiver.Received("metrics", m))),
            TimeSpan.FromSeconds(20), "the request's trace and every meter's metrics");
        Assert.Multiple(() =>
        {
            Assert.That(receiver.Received("traces", "kodosumi-indexer"), Is.True, "the service names itself");
            Assert.That(receiver.Received("metrics", IndexMeter.Name), Is.True);
            // Probes come every few seconds and would drown the traces that matter.
            Assert.That(receiver.Received("traces", "/health/ready"), Is.False, "the readiness probes are not traced");
            Assert.That(receiver.ContentTypes("traces").Concat(receiver.ContentTypes("metrics")), Is.All.EqualTo("application/x-protobuf"));
        });
    }

    [Test]
    public async Task Without_an_endpoint_nothing_is_exported()
    {
        using var data = HostedDataSet.Create("kodo-no-otel", new DemoOptions { Executions = 5, Seed = 3 });
        await data.StartAsync();
        var host = data.Host;
        Assert.That(host.Services.GetService(typeof(OpenTelemetry.Trace.TracerProvider)), Is.Null);
    }
}
