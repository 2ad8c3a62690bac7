using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;

namespace Kodosumi.Bench;

/// <summary>The service as its own process on a loopback port, as it runs in production.</summary>
public sealed class ServiceProcess : IDisposable
{
    readonly Process _process;
    public HttpClient Client { get; }
    public string IndexPath { get; }
    public int Pid => _process.Id;

    ServiceProcess(Process process, HttpClient client, string indexPath)
    {
        _process = process;
        Client = client;
        IndexPath = indexPath;
    }

    public static ServiceProcess Start(string apiDll, string dataDir, string indexPath, TimeSpan rescan)
    {
        var port = FreePort();
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList =
            {
                apiDll, "--urls", $"http://127.0.0.1:{port}",
                $"--Indexer:DataDir={dataDir}", $"--Indexer:IndexPath={indexPath}",
                $"--Indexer:RescanInterval={rescan}", "--Logging:LogLevel:Default=Warning",
            },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine("  service: " + e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256 })
        {
            BaseAddress = new Uri($"http://127.0.0.1:{port}"),
            Timeout = TimeSpan.FromSeconds(30),
        };
        return new ServiceProcess(process, client, indexPath);
    }

    public async Task<TimeSpan> WaitReadyAsync(TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (_process.HasExited) throw new InvalidOperationException($"the service exited with {_process.ExitCode}");
            try
            {
                if ((await Client.GetAsync("/health/ready")).StatusCode == HttpStatusCode.OK) return clock.Elapsed;
            }
            catch (HttpRequestException) { }
            await Task.Delay(20);
        }
        throw new TimeoutException("the service did not become ready");
    }

    /// <summary>Signs in as the demo operator; later requests carry Kodosumi's token header.</summary>
    public async Task SignInAsync(string name, string password)
    {
        using var response = await Client.PostAsJsonAsync("/api/login", new { name, password });
        response.EnsureSuccessStatusCode();
        var token = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("KODOSUMI_API_KEY").GetString();
        Client.DefaultRequestHeaders.Add("KODOSUMI_API_KEY", token);
    }

    /// <summary>Peak resident memory (VmHWM) in bytes.</summary>
    public long PeakRss() => ReadStatusKb("VmHWM") * 1024;

    long ReadStatusKb(string key)
    {
        var line = File.ReadLines($"/proc/{Pid}/status").First(l => l.StartsWith(key + ":", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
    }

    static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        Client.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
        _process.Dispose();
    }
}
