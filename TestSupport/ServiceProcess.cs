using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace Kodosumi.TestSupport;

/// <summary>
/// The service as its own process on a loopback port, as it runs in production (used by the benchmark and by
/// the tests that kill it): started from the built <c>Kodosumi.Api.dll</c>, stopped with SIGTERM or SIGKILL,
/// and observed through <c>/proc</c>.
/// </summary>
public sealed class ServiceProcess : IDisposable
{
    const int SigTerm = 15;

    readonly Process _process;
    public HttpClient Client { get; }
    public string IndexPath { get; }
    public int Pid { get; }
    /// <summary>Every line the service wrote to stdout and stderr.</summary>
    public ConcurrentQueue<string> Output { get; } = new();

    ServiceProcess(Process process, HttpClient client, string indexPath)
    {
        _process = process;
        Pid = process.Id;
        Client = client;
        IndexPath = indexPath;
    }

    /// <param name="settings">More configuration as <c>--key=value</c> (e.g. <c>Indexer:Debounce</c>).</param>
    /// <param name="echo">Where to copy the service's stderr lines (the benchmark prints them); null keeps them quiet.</param>
    public static ServiceProcess Start(string apiDll, string dataDir, string indexPath, TimeSpan rescan,
        IReadOnlyDictionary<string, string>? settings = null, Action<string>? echo = null, string logLevel = "Warning")
    {
        var port = FreePort();
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList =
            {
                apiDll, "--urls", $"http://127.0.0.1:{port}",
                $"--Indexer:DataDir={dataDir}", $"--Indexer:IndexPath={indexPath}",
                $"--Indexer:RescanInterval={rescan}", $"--Logging:LogLevel:Default={logLevel}",
            },
            // The content root (appsettings.json, the pages) is where the service was built to.
            WorkingDirectory = Path.GetDirectoryName(Path.GetFullPath(apiDll))!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>()) start.ArgumentList.Add($"--{key}={value}");
        var process = Process.Start(start)!;
        var service = new ServiceProcess(process, new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256 })
        {
            BaseAddress = new Uri($"http://127.0.0.1:{port}"),
            Timeout = TimeSpan.FromSeconds(30),
        }, indexPath);
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) service.Output.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            service.Output.Enqueue(e.Data);
            echo?.Invoke("  service: " + e.Data);
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return service;
    }

    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;

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
            // A request that took longer than the client's timeout: not ready yet, asked again.
            catch (TaskCanceledException) { }
            await Task.Delay(20);
        }
        throw new TimeoutException("the service did not become ready");
    }

    /// <summary>Signs in as <paramref name="name"/>; later requests of <see cref="Client"/> carry Kodosumi's token header.</summary>
    public Task SignInAsync(string name, string password) => SignInAsync(Client, name, password);

    /// <summary>Signs <paramref name="client"/> in as <paramref name="name"/>: its later requests carry Kodosumi's token header.</summary>
    public static async Task SignInAsync(HttpClient client, string name, string password)
    {
        using var response = await client.PostAsJsonAsync("/api/login", new { name, password });
        response.EnsureSuccessStatusCode();
        var token = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("KODOSUMI_API_KEY").GetString();
        client.DefaultRequestHeaders.Remove("KODOSUMI_API_KEY");
        client.DefaultRequestHeaders.Add("KODOSUMI_API_KEY", token);
    }

    /// <summary>SIGKILL: no shutdown code runs, as in a power cut or the OOM killer.</summary>
    public void Kill()
    {
        if (_process.HasExited) return;
        _process.Kill();
        _process.WaitForExit();
    }

    /// <summary>SIGTERM, as <c>docker stop</c> and systemd send; returns how long the process took to exit, or null if it did not within <paramref name="timeout"/>.</summary>
    public TimeSpan? Terminate(TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        if (SendSignal(Pid, SigTerm) != 0) throw new InvalidOperationException($"kill({Pid}, SIGTERM) failed: {Marshal.GetLastPInvokeError()}");
        return _process.WaitForExit(timeout) ? clock.Elapsed : null;
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    static extern int SendSignal(int pid, int signal);

    /// <summary>Peak resident memory (VmHWM) in bytes.</summary>
    public long PeakRss() => ReadStatus("VmHWM") * 1024;

    /// <summary>Starts the peak (VmHWM) afresh from the current resident memory (Linux's <c>clear_refs</c>; needs the right to write it).</summary>
    public void ResetPeakRss() => File.WriteAllText($"/proc/{Pid}/clear_refs", "5");

    /// <summary>Resident memory now (VmRSS) in bytes.</summary>
    public long Rss() => ReadStatus("VmRSS") * 1024;

    public long Threads() => ReadStatus("Threads");

    public int OpenFileDescriptors() => Directory.GetFileSystemEntries($"/proc/{Pid}/fd").Length;

    /// <summary>Files the process still holds open or mapped although they were deleted (from <c>/proc/pid/fd</c> and <c>/proc/pid/maps</c>).</summary>
    public List<string> DeletedFilesHeld()
    {
        var held = new List<string>();
        foreach (var fd in Directory.GetFileSystemEntries($"/proc/{Pid}/fd"))
        {
            try
            {
                if (new FileInfo(fd).LinkTarget is { } target && target.EndsWith(" (deleted)", StringComparison.Ordinal)) held.Add($"fd: {target}");
            }
            catch (IOException) { } // closed while listed
        }
        held.AddRange(File.ReadLines($"/proc/{Pid}/maps").Where(l => l.EndsWith(" (deleted)", StringComparison.Ordinal))
            .Select(l => "map: " + l[(l.IndexOf('/') is var slash and >= 0 ? slash : 0)..]).Distinct());
        return held;
    }

    long ReadStatus(string key)
    {
        var line = File.ReadLines($"/proc/{Pid}/status").First(l => l.StartsWith(key + ":", StringComparison.Ordinal));
        return long.Parse(line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries)[1]);
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
