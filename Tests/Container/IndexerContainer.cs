using System.Net.Http.Json;
using System.Text.Json.Nodes;
using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Configurations;
using DotNet.Testcontainers.Containers;
using DotNet.Testcontainers.Volumes;
using Kodosumi.Shared.Demo;
using Kodosumi.Tests.Auth;

namespace Kodosumi.Tests.Container;

/// <summary>
/// One container of the image, with a data directory bind-mounted at /data and an index volume, run read-only
/// with a tmpfs /tmp, no capabilities and no new privileges.
/// </summary>
public sealed class IndexerContainer : IAsyncDisposable
{
    const ushort Port = 3371;

    readonly IContainer _container;
    HttpClient? _http;

    IndexerContainer(IContainer container) => _container = container;

    /// <summary>Starts a container and waits until Docker reports it healthy through the image's own HEALTHCHECK.</summary>
    /// <param name="workingDirectory">Where the process starts (the image's own is /app): the service must not depend on it.</param>
    public static async Task<IndexerContainer> StartAsync(DataSet data, IVolume indexVolume, bool readOnlyData = true,
        string? workingDirectory = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var builder = new ContainerBuilder(ContainerImage.Name);
        if (workingDirectory is not null) builder = builder.WithWorkingDirectory(workingDirectory);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) builder = builder.WithEnvironment(name, value);
        var container = builder
            .WithBindMount(data.Root, "/data", readOnlyData ? AccessMode.ReadOnly : AccessMode.ReadWrite)
            .WithVolumeMount(indexVolume, "/var/lib/kodosumi-indexer")
            .WithPortBinding(Port, assignRandomHostPort: true)
            .WithTmpfsMount("/tmp")
            .WithCreateParameterModifier(p =>
            {
                // Publish on loopback only: nothing outside this machine needs the test's service.
                foreach (var bindings in p.HostConfig?.PortBindings?.Values ?? [])
                foreach (var binding in bindings) binding.HostIP = "127.0.0.1";
                // Hardened as deploy/docker-compose.yml runs it: the service must work that way.
                p.HostConfig!.ReadonlyRootfs = true;
                p.HostConfig.CapDrop = ["ALL"];
                p.HostConfig.SecurityOpt = ["no-new-privileges:true"];
                // The image's own health check (the daemon keeps its command), run every second instead of every 10 s.
                p.Healthcheck = new Docker.DotNet.Models.HealthcheckConfig { Interval = TimeSpan.FromSeconds(1) };
            })
            .WithWaitStrategy(Wait.ForUnixContainer().UntilContainerIsHealthy())
            .Build();
        var started = new IndexerContainer(container);
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            await container.StartAsync(timeout.Token);
        }
        catch
        {
            await started.WriteLogsAsync();
            await started.DisposeAsync();
            throw;
        }
        return started;
    }

    public static IVolume NewIndexVolume() => new VolumeBuilder().WithName("kodosumi-index-" + Guid.NewGuid().ToString("N")).Build();

    HttpClient Http => _http ??= new HttpClient
    {
        BaseAddress = new Uri($"http://127.0.0.1:{_container.GetMappedPublicPort(Port)}"),
        Timeout = TimeSpan.FromSeconds(30),
        // The dashboard needs a signed-in user: the demo's operator, with the image's default secret.
        DefaultRequestHeaders = { { "KODOSUMI_API_KEY", TestJwt.For(DemoDataGenerator.Users[0].FolderName) } },
    };

    public Task<HttpResponseMessage> GetAsync(string path) => Http.GetAsync(path);

    /// <summary>
    /// Opens the live stream and returns once its first frame (retry and heartbeat) arrived: the server holds it open.
    /// The response is the caller's to dispose.
    /// </summary>
    public async Task<HttpResponseMessage> OpenStreamAsync()
    {
        var response = await Http.GetAsync("/api/dashboard/stream", HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadAsStreamAsync();
        var first = new byte[1];
        if (await body.ReadAsync(first) == 0) throw new InvalidOperationException("the stream ended before its first frame");
        return response;
    }

    /// <summary>What the process wrote to stdout and stderr so far.</summary>
    public Task<(string Stdout, string Stderr)> LogsAsync() => _container.GetLogsAsync(timestampsEnabled: false);

    public async Task<JsonNode> GetJsonAsync(string path)
    {
        var node = await Http.GetFromJsonAsync<JsonNode>(path);
        return node ?? throw new InvalidOperationException($"{path} answered null");
    }

    /// <summary>The data of the readiness check: executions_indexed, folded_since_start, watcher...</summary>
    public async Task<JsonNode> ReadinessAsync() => (await GetJsonAsync("/health/ready"))["checks"]!["index"]!["data"]!;

    /// <summary>Polls <paramref name="read"/> until it returns true (then true) or the time is up (then false).</summary>
    public static async Task<bool> EventuallyAsync(Func<Task<bool>> read, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            if (await read()) return true;
            if (DateTime.UtcNow > deadline) return false;
            await Task.Delay(250);
        }
    }

    /// <summary>Stops as <c>docker stop</c> does (SIGTERM) and returns the process's exit code.</summary>
    public async Task<long> StopAsync()
    {
        await _container.StopAsync();
        return await _container.GetExitCodeAsync();
    }

    public async Task WriteLogsAsync()
    {
        try
        {
            var (stdout, stderr) = await _container.GetLogsAsync();
            await TestContext.Out.WriteLineAsync($"--- container logs ---\n{stdout}\n{stderr}");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            await TestContext.Out.WriteLineAsync($"(no container logs: {e.Message})");
        }
    }

    public async ValueTask DisposeAsync()
    {
        _http?.Dispose();
        // Ryuk is off (its image is not reachable here), so removing the container is up to us.
        await _container.DisposeAsync();
    }
}
