using Kodosumi.Shared.Demo;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Kodosumi.Tests.Support;

/// <summary>
/// A data folder of its own, the in-process host over it and an operator's client once it is ready: the one
/// set-up and tear-down of every test that runs the host over a temporary data set. Dispose stops the host and deletes the folder.
/// </summary>
public sealed class HostedDataSet : IDisposable
{
    IndexerHost? _host;
    WebApplicationFactory<Program>? _reconfigured;
    HttpClient? _client;

    HostedDataSet(string dataDir) => DataDir = dataDir;

    public string DataDir { get; }
    public string ExecutionRoot => Path.Combine(DataDir, "execution");
    public IndexerHost Host => _host ?? throw new InvalidOperationException("the host is not started");
    /// <summary>The host as the test reconfigured it (services replaced), or the host itself.</summary>
    public WebApplicationFactory<Program> Factory => _reconfigured ?? Host;
    public HttpClient Client => _client ?? throw new InvalidOperationException("the host is not started");

    /// <summary>A new folder named after <paramref name="prefix"/>, holding generated demo data when <paramref name="demo"/> is given.</summary>
    public static HostedDataSet Create(string prefix, DemoOptions? demo = null)
    {
        var data = new HostedDataSet(TempDirs.Create(prefix));
        if (demo is not null) new DemoDataGenerator(demo).Generate(data.DataDir);
        return data;
    }

    /// <param name="reconfigure">Services to replace (a fault or a clock), as a derived factory of the host.</param>
    /// <param name="indexPath">An index that outlives the host (a restart); by default one of the host's own.</param>
    public async Task StartAsync(TimeSpan? rescan = null, IDictionary<string, string?>? settings = null,
        Func<IndexerHost, WebApplicationFactory<Program>>? reconfigure = null, string? indexPath = null)
    {
        StopHost();
        _host = new IndexerHost(DataDir, indexPath, rescan, settings);
        _reconfigured = reconfigure?.Invoke(_host);
        _client = _reconfigured is null ? await _host.StartAsync() : await _host.StartAsync(_reconfigured);
    }

    /// <summary>Stops the host and keeps the folder, for a restart over the same data.</summary>
    public void StopHost()
    {
        _client?.Dispose();
        _reconfigured?.Dispose();
        _host?.Dispose();
        (_client, _reconfigured, _host) = (null, null, null);
    }

    public void Dispose()
    {
        // The host goes first: its watcher and worker must not outlive the folder they watch.
        StopHost();
        TempDirs.Delete(DataDir);
    }
}
