using Kodosumi.Shared.Demo;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Kodosumi.Tests.Support;

/// <summary>
/// A test class over the in-process host and a data set of its own (<see cref="HostedDataSet"/>): it creates the
/// folder, writes what it needs, starts the host; the host and the folder go after the class, or after each test
/// where the class calls <see cref="DeleteDataSet"/> in its own <c>[TearDown]</c>.
/// </summary>
public abstract class InProcessHostTest
{
    // Created by helpers the derived class's set-up calls, so the analyzer cannot tell the lifetime; DeleteDataSetAfterClass disposes it.
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Structure", "NUnit1032")]
    HostedDataSet? _data;

    HostedDataSet Data => _data ?? throw new InvalidOperationException("no data folder: call CreateDataDir first");

    protected string DataDir => Data.DataDir;
    protected string ExecutionRoot => Data.ExecutionRoot;
    protected IndexerHost Host => Data.Host;
    protected WebApplicationFactory<Program> Factory => Data.Factory;
    /// <summary>An operator's client, ready.</summary>
    protected HttpClient Client => Data.Client;

    protected void CreateDataDir(string prefix, DemoOptions? demo = null)
    {
        DeleteDataSet();
        _data = HostedDataSet.Create(prefix, demo);
    }

    /// <summary>Starts the host over the folder, or starts it again (stopping the one before).</summary>
    protected Task StartHostAsync(TimeSpan? rescan = null, IDictionary<string, string?>? settings = null,
        Func<IndexerHost, WebApplicationFactory<Program>>? reconfigure = null, string? indexPath = null) =>
        Data.StartAsync(rescan, settings, reconfigure, indexPath);

    /// <summary>Stops the host and keeps the folder.</summary>
    protected void StopHost() => _data?.StopHost();

    protected void DeleteDataSet() => DeleteDataSetAfterClass();

    [OneTimeTearDown]
    public void DeleteDataSetAfterClass()
    {
        _data?.Dispose();
        _data = null;
    }
}
