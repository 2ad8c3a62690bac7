using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Kodosumi.Tests.Support;

/// <summary>
/// The real web host (indexer worker included) over a data directory of the test's own, with the index
/// in a temporary folder beside it. Rescans are fast so tests need not wait for the default 30 s.
/// </summary>
public sealed class IndexerHost(string dataDir, string? indexPath = null, TimeSpan? rescan = null) : WebApplicationFactory<Program>
{
    public CapturedLogs Logs { get; } = new();

    public string DataDir { get; } = dataDir;
    public string ExecutionRoot => Path.Combine(DataDir, "execution");
    public string IndexPath { get; } = indexPath ?? Path.Combine(Path.GetTempPath(), "kodo-index-" + Guid.NewGuid().ToString("N"), "index.db");

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.ConfigureLogging(logging => logging.AddProvider(Logs));
        builder.ConfigureAppConfiguration((_, config) => config.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Indexer:DataDir"] = DataDir,
            ["Indexer:ExecDir"] = ExecutionRoot,
            ["Indexer:AdminDatabase"] = Path.Combine(DataDir, "admin.db"),
            ["Indexer:IndexPath"] = IndexPath,
            ["Indexer:RescanInterval"] = (rescan ?? TimeSpan.FromSeconds(1)).ToString(),
            ["Indexer:UsersReloadInterval"] = "00:00:00.500",
        }));
    }

    /// <summary>A client once <c>/health/ready</c> says the first full scan is done.</summary>
    public async Task<HttpClient> StartAsync()
    {
        var client = CreateClient();
        await Wait.Until(async () => (await client.GetAsync("/health/ready")).StatusCode == HttpStatusCode.OK,
            TimeSpan.FromSeconds(60), "the service did not become ready");
        return client;
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        // An index path given by the test outlives this host (a restart test reuses it).
        if (disposing && indexPath is null) TempDirs.Delete(Path.GetDirectoryName(IndexPath)!);
    }
}
