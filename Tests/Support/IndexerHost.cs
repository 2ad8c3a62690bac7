using System.Net;
using Kodosumi.Indexer.Worker;
using Kodosumi.Shared.Demo;
using Kodosumi.Tests.Auth;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Kodosumi.Tests.Support;

/// <summary>
/// The real web host (indexer worker included) over a data directory of the test's own, with the index
/// in a temporary folder beside it. Rescans are fast so tests need not wait for the default 30 s.
/// Clients carry a token minted by the test-side signer (<see cref="TestJwt"/>), an operator's by default.
/// </summary>
public sealed class IndexerHost(string dataDir, string? indexPath = null, TimeSpan? rescan = null, IDictionary<string, string?>? settings = null)
    : WebApplicationFactory<Program>
{
    /// <summary>The demo data's operator <c>admin</c>; also the id of the settings admin when there is no admin.db.</summary>
    public static readonly string Operator = DemoDataGenerator.Users[0].FolderName;

    public string Secret => settings is not null && settings.TryGetValue("KODO_SECRET_KEY", out var secret) && secret is not null ? secret : TestJwt.DefaultSecret;

    public CapturedLogs Logs { get; } = new();

    public string DataDir { get; } = dataDir;
    public string ExecutionRoot => Path.Combine(DataDir, "execution");
    public string IndexPath { get; } = indexPath ?? Path.Combine(Path.GetTempPath(), "kodo-index-" + Guid.NewGuid().ToString("N"), "index.db");

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.ConfigureLogging(logging => logging.AddProvider(Logs));
        var values = new Dictionary<string, string?>
        {
            ["Indexer:DataDir"] = DataDir,
            ["Indexer:ExecDir"] = ExecutionRoot,
            ["Indexer:AdminDatabase"] = Path.Combine(DataDir, "admin.db"),
            ["Indexer:IndexPath"] = IndexPath,
            ["Indexer:RescanInterval"] = (rescan ?? TimeSpan.FromSeconds(1)).ToString(),
            ["Indexer:UsersReloadInterval"] = "00:00:00.500",
            ["Auth:AdminId"] = Operator,
            // Tests sign in many times; the limit itself is tested on a host of its own.
            ["Auth:FailedLoginLimit"] = "1000",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>()) values[key] = value;
        builder.ConfigureAppConfiguration((_, config) => config.AddInMemoryCollection(values));
    }

    /// <summary>
    /// A client once <c>/health/ready</c> says the first full scan is done, signed in as <paramref name="asUser"/>
    /// (a role id, default <see cref="Operator"/>) through the <c>KODOSUMI_API_KEY</c> header, or without a token.
    /// </summary>
    public Task<HttpClient> StartAsync(string? asUser = null, bool anonymous = false) =>
        WhenReady(anonymous ? CreateClient() : ClientFor(asUser ?? Operator));

    /// <summary>This host with the watcher's inotify instances made by <paramref name="watchers"/> (a fault to inject).</summary>
    internal WebApplicationFactory<Program> WithWatchers(WatcherFactory watchers) =>
        WithWebHostBuilder(b => b.ConfigureTestServices(s => s.AddSingleton(watchers)));

    /// <summary>An operator's client of <paramref name="factory"/> (this host, reconfigured) once it is ready.</summary>
    public Task<HttpClient> StartAsync(WebApplicationFactory<Program> factory)
    {
        var client = factory.CreateClient();
        client.DefaultRequestHeaders.Add("KODOSUMI_API_KEY", TestJwt.For(Operator, Secret));
        return WhenReady(client);
    }

    /// <summary><paramref name="client"/> once <c>/health/ready</c> says the first full scan is done.</summary>
    static async Task<HttpClient> WhenReady(HttpClient client)
    {
        await Wait.Until(async () => (await client.GetAsync("/health/ready")).StatusCode == HttpStatusCode.OK,
            TimeSpan.FromSeconds(60), "the service did not become ready");
        return client;
    }

    /// <summary>A client whose every request carries a test-side token (valid for an hour) for <paramref name="userId"/>.</summary>
    public HttpClient ClientFor(string userId)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Add("KODOSUMI_API_KEY", TestJwt.For(userId, Secret));
        return client;
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        // An index path given by the test outlives this host (a restart test reuses it).
        if (disposing && indexPath is null) TempDirs.Delete(Path.GetDirectoryName(IndexPath)!);
    }
}
