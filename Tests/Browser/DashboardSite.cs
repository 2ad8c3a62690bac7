using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using Kodosumi.Shared.Demo;
using Kodosumi.Tests.Support;
using Microsoft.Playwright;

namespace Kodosumi.Tests.Browser;

/// <summary>
/// Once for every browser test: a generated data set (plus hostile names, see <see cref="HostileData"/>),
/// the real service as a child process on a loopback port (a browser cannot reach the in-memory
/// TestServer), and Debian's Chromium driven by Playwright.
/// </summary>
[SetUpFixture]
public sealed class DashboardSite
{
    public const string ChromiumPath = "/usr/bin/chromium";
    /// <summary>Boundaries of the page's time ranges: executions this close to one are removed, so counts hold still during the run.</summary>
    static readonly double[] RangeHours = [1, 6, 24, 168, 720];
    static readonly TimeSpan Margin = TimeSpan.FromMinutes(20);

    static string? _skipReason;
    static Process? _server;
    static readonly StringBuilder ServerLog = new();
    static IPlaywright? _playwright;
    static string _indexDir = "";

    public static string BaseUrl { get; private set; } = "";
    public static string DataDir { get; private set; } = "";
    public static string RepoRoot { get; } = FindRepoRoot();
    public static string ScreenshotDir => Path.Combine(RepoRoot, "artifacts", "screenshots");
    public static IBrowser Browser { get; private set; } = null!;
    /// <summary>A client of the same service, logged in as admin.</summary>
    public static HttpClient Api { get; private set; } = null!;
    public static HostileData Hostile { get; private set; } = null!;

    /// <summary>Ignores the calling test when no Chromium is installed, except on CI, where the browser tests must run.</summary>
    public static void RequireBrowser()
    {
        if (_skipReason is not null) Assert.Ignore(_skipReason);
    }

    [OneTimeSetUp]
    public async Task Start()
    {
        if (!File.Exists(ChromiumPath))
        {
            if (Environment.GetEnvironmentVariable("CI") == "true")
                Assert.Fail($"{ChromiumPath} is missing on CI: .ci/run installs it with apt-get install chromium.");
            _skipReason = $"{ChromiumPath} is not installed (apt-get install chromium); the browser tests need it.";
            return;
        }

        DataDir = TempDirs.Create("kodo-browser");
        _indexDir = TempDirs.Create("kodo-browser-index");
        var now = DateTimeOffset.UtcNow;
        var fids = new DemoDataGenerator(new DemoOptions { Executions = 320, Seed = 4, LargeResultEvery = 0, Now = now }).Generate(DataDir);
        RemoveExecutionsNearRangeBoundaries(fids, now);
        Hostile = HostileData.Write(DataDir, now);

        var port = FreePort();
        BaseUrl = $"http://127.0.0.1:{port}";
        StartServer(port);
        Api = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer() }) { BaseAddress = new Uri(BaseUrl) };
        await Wait.Until(async () =>
        {
            if (_server!.HasExited) Assert.Fail($"The service exited with {_server.ExitCode}:\n{ServerLog}");
            return (await Api.GetAsync("/health/ready")).StatusCode == HttpStatusCode.OK;
        }, TimeSpan.FromSeconds(90), $"the service did not become ready at {BaseUrl}");
        await LogInAsync(Api);

        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
        Directory.CreateDirectory(ScreenshotDir);
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        if (Browser is not null) await Browser.CloseAsync();
        _playwright?.Dispose();
        Api?.Dispose();
        if (_server is { HasExited: false })
        {
            _server.Kill(entireProcessTree: true);
            await _server.WaitForExitAsync();
        }
        _server?.Dispose();
        if (DataDir != "") TempDirs.Delete(DataDir);
        if (_indexDir != "") TempDirs.Delete(_indexDir);
    }

    static async Task LogInAsync(HttpClient client)
    {
        var response = await client.PostAsJsonAsync("/api/login", new { name = "admin", password = "admin" });
        Assert.That(response.IsSuccessStatusCode, $"POST /api/login as admin answered {(int)response.StatusCode}");
    }

    /// <summary>Runs the built service (the Api project's output, same configuration as these tests) with its web root.</summary>
    static void StartServer(int port)
    {
        var testDir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
        var (framework, configuration) = (testDir.Name, testDir.Parent!.Name);
        var apiDir = Path.Combine(RepoRoot, "Api", "bin", configuration, framework);
        var dll = Path.Combine(apiDir, "Kodosumi.Api.dll");
        Assert.That(File.Exists(dll), $"{dll} is missing: build the solution first");

        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = apiDir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
        {
            dll, "--urls", $"http://127.0.0.1:{port}", "--contentRoot", Path.Combine(RepoRoot, "Api"),
            $"--Indexer:DataDir={DataDir}", $"--Indexer:ExecDir={Path.Combine(DataDir, "execution")}",
            $"--Indexer:AdminDatabase={Path.Combine(DataDir, "admin.db")}", $"--Indexer:IndexPath={Path.Combine(_indexDir, "index.db")}",
            // Heartbeats a page sees soon (LivePageTests' stalled stream), yet far apart for a busy machine.
            "--Stream:HeartbeatInterval=00:00:02",
            // The pages' tests change executions the generator finished long ago and expect the watcher to see it.
            "--Indexer:WatchFinishedFor=365.00:00:00",
        }) start.ArgumentList.Add(arg);
        foreach (var name in new[] { "KODO_EXEC_DIR", "KODO_ADMIN_DATABASE", "ASPNETCORE_URLS", "ASPNETCORE_ENVIRONMENT", "DOTNET_ENVIRONMENT" })
            start.Environment.Remove(name);

        _server = Process.Start(start)!;
        _server.OutputDataReceived += (_, e) => { lock (ServerLog) ServerLog.AppendLine(e.Data); };
        _server.ErrorDataReceived += (_, e) => { lock (ServerLog) ServerLog.AppendLine(e.Data); };
        _server.BeginOutputReadLine();
        _server.BeginErrorReadLine();
    }

    static void RemoveExecutionsNearRangeBoundaries(IEnumerable<string> fids, DateTimeOffset now)
    {
        var nearBoundary = fids.Where(fid =>
        {
            var age = now - DateTimeOffset.FromUnixTimeSeconds(Convert.ToInt64(fid[..8], 16));
            return RangeHours.Any(h => (age - TimeSpan.FromHours(h)).Duration() < Margin);
        }).ToHashSet();
        foreach (var userDir in Directory.GetDirectories(Path.Combine(DataDir, "execution")))
        foreach (var dir in Directory.GetDirectories(userDir).Where(d => nearBoundary.Contains(Path.GetFileName(d))))
            Directory.Delete(dir, recursive: true);
    }

    static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "KodosumiIndexer.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("KodosumiIndexer.sln not found above the test directory");
    }
}
