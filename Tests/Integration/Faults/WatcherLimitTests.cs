using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using Kodosumi.Indexer.Sources;
using Kodosumi.Shared;
using Kodosumi.Shared.Demo;
using Kodosumi.TestSupport;
using Kodosumi.Tests.Auth;
using Kodosumi.Tests.Support;

namespace Kodosumi.Tests.Integration.Faults;

/// <summary>
/// The kernel's inotify limits, reached for real: the service runs as its own process in a user namespace
/// of its own, whose <c>/proc/sys/user/max_inotify_*</c> limits are set to zero there (the machine's own
/// limits are untouched). It indexes by rescans, says degraded and why, and watches once the limit is raised.
/// </summary>
[Category("Integration")]
public class WatcherLimitTests
{
    [TestCase("max_inotify_watches", "inotify watches")]
    [TestCase("max_inotify_instances", "inotify instances")]
    public async Task At_the_inotify_limit_the_service_indexes_by_rescans_says_degraded_and_watches_once_the_limit_is_raised(string limit, string named)
    {
        RequireSettableLimit(limit);
        var dataDir = TempDirs.Create("kodo-inotify");
        var indexDir = TempDirs.Create("kodo-inotify-index");
        try
        {
            new DemoDataGenerator(new DemoOptions { Executions = 12, Seed = 41 }).Generate(dataDir);
            var root = Path.Combine(dataDir, "execution");
            using var service = LimitedService.Start(dataDir, Path.Combine(indexDir, "index.db"), limit);
            using var client = new HttpClient { BaseAddress = service.Address };
            client.DefaultRequestHeaders.Add("KODOSUMI_API_KEY", TestJwt.For(IndexerHost.Operator, TestJwt.DefaultSecret));
            async Task<JsonElement> Health() => JsonDocument.Parse(await client.GetStringAsync("/health/ready")).RootElement;

            await Wait.Until(async () => (await client.GetAsync("/health/ready")).StatusCode == HttpStatusCode.OK, TimeSpan.FromSeconds(60),
                $"the service becomes ready; its output: {service.Output}");
            var degraded = await Health();
            Assert.That(degraded.Str("status"), Is.EqualTo("Degraded"), service.Output);
            var description = degraded.GetProperty("checks").GetProperty("index").Str("description");
            Assert.That(description, Does.Contain("rescans only").And.Contain(named));
            await IndexVersusRecount.AssertEventually(client, root, TimeSpan.FromSeconds(10));

            // New executions are still found, by the periodic rescan.
            var fid = Fids.New(DateTimeOffset.UtcNow, Random.Shared);
            using (var writer = SqliteCliWriter.Open(Path.Combine(root, DemoDataGenerator.Users[1].FolderName, fid, "sqlite3.db")))
            {
                writer.Append("status", "running");
                writer.Append("error", "Traceback: while degraded");
            }
            await IndexVersusRecount.AssertEventually(client, root, TimeSpan.FromSeconds(15));
            Assert.That((await Health()).Str("status"), Is.EqualTo("Degraded"), "still at the limit");

            service.RaiseLimit();
            await Wait.Until(async () => (await Health()).Str("status") == "Healthy", TimeSpan.FromSeconds(20), $"watching again; output: {service.Output}");
            Assert.That((await Health()).GetProperty("checks").GetProperty("index").GetProperty("data").Str("watcher"), Is.EqualTo("watching"));
            Assert.That(service.Output, Does.Contain("Watching " + root + " again"));
            await IndexVersusRecount.AssertEventually(client, root, TimeSpan.FromSeconds(10));
        }
        finally
        {
            TempDirs.Delete(dataDir);
            TempDirs.Delete(indexDir);
        }
    }

    [Test]
    public async Task Past_the_inotify_watch_limit_live_executions_rely_on_rescans_until_the_limit_is_raised()
    {
        RequireSettableLimit("max_inotify_watches");
        var dataDir = TempDirs.Create("kodo-inotify");
        var indexDir = TempDirs.Create("kodo-inotify-index");
        var writers = new List<SqliteCliWriter>();
        try
        {
            new DemoDataGenerator(new DemoOptions { Executions = 12, Seed = 43, Now = DateTimeOffset.UtcNow.AddDays(-3) }).Generate(dataDir);
            var root = Path.Combine(dataDir, "execution");
            // Ten running executions, more than the limit leaves room for.
            writers.AddRange(TenRuns(root, DateTimeOffset.UtcNow, "running"));
            // The data folder (the root's name is watched there), the root and the four user folders: 6; room for 4 executions.
            using var service = LimitedService.Start(dataDir, Path.Combine(indexDir, "index.db"), "max_inotify_watches", limitValue: 10);
            using var client = new HttpClient { BaseAddress = service.Address };
            client.DefaultRequestHeaders.Add("KODOSUMI_API_KEY", TestJwt.For(IndexerHost.Operator, TestJwt.DefaultSecret));
            async Task<JsonElement> Health() => JsonDocument.Parse(await client.GetStringAsync("/health/ready")).RootElement;
            static JsonElement Data(JsonElement health) => health.GetProperty("checks").GetProperty("index").GetProperty("data");

            await Wait.Until(async () => (await client.GetAsync("/health/ready")).StatusCode == HttpStatusCode.OK, TimeSpan.FromSeconds(60),
                $"the service becomes ready; its output: {service.Output}");
            await Wait.Until(async () => Data(await Health()).Str("watcher").StartsWith("watching, 6 folders", StringComparison.Ordinal),
                TimeSpan.FromSeconds(10), $"six executions left to the rescans; output: {service.Output}");
            var degraded = await Health();
            Assert.That(degraded.Str("status"), Is.EqualTo("Degraded"));
            Assert.That(degraded.GetProperty("checks").GetProperty("index").Str("description"),
                Does.Contain("rescans only").And.Contain("inotify watches"));
            Assert.That(Data(degraded).GetProperty("watched_folders").GetInt32(), Is.EqualTo(1 + 4 + 4), "the root, the user folders, four executions");

            // Every execution stays current, the watched ones by their watchers, the others by the periodic rescan.
            foreach (var writer in writers) writer.Append("error", "Traceback: past the limit");
            await IndexVersusRecount.AssertEventually(client, root, TimeSpan.FromSeconds(15));
            await Task.Delay(3000);
            Assert.That((await Health()).Str("status"), Is.EqualTo("Degraded"), "still at the limit");
            Assert.That(Regex.Matches(service.Output, "Cannot watch ").Count, Is.EqualTo(1),
                $"said once, not at every retry (one a second here); output: {service.Output}");

            service.RaiseLimit();
            await Wait.Until(async () => (await Health()).Str("status") == "Healthy", TimeSpan.FromSeconds(20), $"watching all; output: {service.Output}");
            var healthy = Data(await Health());
            Assert.That(healthy.Str("watcher"), Is.EqualTo("watching"));
            Assert.That(healthy.GetProperty("watched_folders").GetInt32(), Is.EqualTo(1 + 4 + 10));
            foreach (var writer in writers) writer.Append("status", "finished");
            await IndexVersusRecount.AssertEventually(client, root, TimeSpan.FromSeconds(10));
        }
        finally
        {
            foreach (var writer in writers) writer.Dispose();
            TempDirs.Delete(dataDir);
            TempDirs.Delete(indexDir);
        }
    }

    [Test]
    public async Task Past_the_inotify_watch_limit_a_row_committed_to_a_run_quiet_for_days_shows_without_a_rescan()
    {
        RequireSettableLimit("max_inotify_watches");
        var dataDir = TempDirs.Create("kodo-inotify");
        var indexDir = TempDirs.Create("kodo-inotify-index");
        var writers = new List<SqliteCliWriter>();
        try
        {
            new DemoDataGenerator(new DemoOptions { Executions = 12, Seed = 44, Now = DateTimeOffset.UtcNow.AddDays(-3) }).Generate(dataDir);
            var root = Path.Combine(dataDir, "execution");
            // Ten runs awaiting a person's answer for three days, each with its WAL writer still open: more than the limit leaves room for.
            writers.AddRange(TenRuns(root, DateTimeOffset.UtcNow.AddDays(-3), "running", "awaiting"));
            // Rescans ten minutes apart: only the watcher and the fast look can find a change within this test.
            using var service = LimitedService.Start(dataDir, Path.Combine(indexDir, "index.db"), "max_inotify_watches", limitValue: 10,
                rescanInterval: "00:10:00");
            using var client = new HttpClient { BaseAddress = service.Address };
            client.DefaultRequestHeaders.Add("KODOSUMI_API_KEY", TestJwt.For(IndexerHost.Operator, TestJwt.DefaultSecret));
            async Task<JsonElement> Health() => JsonDocument.Parse(await client.GetStringAsync("/health/ready")).RootElement;

            await Wait.Until(async () => (await client.GetAsync("/health/ready")).StatusCode == HttpStatusCode.OK, TimeSpan.FromSeconds(60),
                $"the service becomes ready; its output: {service.Output}");
            await Wait.Until(async () => (await Health()).GetProperty("checks").GetProperty("index").GetProperty("data").Str("watcher")
                    .StartsWith("watching, 6 folders", StringComparison.Ordinal),
                TimeSpan.FromSeconds(10), $"six runs left unwatched; output: {service.Output}");
            await IndexVersusRecount.AssertEventually(client, root, TimeSpan.FromSeconds(10));

            // A WAL written within the racy window is looked at again for a few seconds anyway: past it, only the
            // watcher and the fast look are left to see the person answer, and each run go on, the unwatched ones too.
            await Task.Delay(FolderLook.RacyWindow + TimeSpan.FromSeconds(1));
            foreach (var writer in writers) writer.Append("status", "running");
            await IndexVersusRecount.AssertEventually(client, root, TimeSpan.FromSeconds(5));
            await Task.Delay(FolderLook.RacyWindow + TimeSpan.FromSeconds(1));
            foreach (var writer in writers) writer.Append("status", "finished");
            await IndexVersusRecount.AssertEventually(client, root, TimeSpan.FromSeconds(5));
        }
        finally
        {
            foreach (var writer in writers) writer.Dispose();
            TempDirs.Delete(dataDir);
            TempDirs.Delete(indexDir);
        }
    }

    /// <summary>As the Docker and browser tests: skipped on a developer's machine without user namespaces, required on CI.</summary>
    static void RequireSettableLimit(string limit)
    {
        if (OperatingSystem.IsLinux() && CanSetLimitInUserNamespace(limit)) return;
        var why = $"needs Linux user namespaces (unshare) with a writable /proc/sys/user/{limit}";
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase)) Assert.Fail(why);
        Assert.Ignore(why);
    }

    /// <summary>Ten runs across the four users, each with its <c>sqlite3</c> writer left open, started at <paramref name="at"/>.</summary>
    static List<SqliteCliWriter> TenRuns(string root, DateTimeOffset at, params string[] statuses)
    {
        var writers = new List<SqliteCliWriter>();
        var timestamp = at.ToUnixTimeMilliseconds() / 1000.0;
        for (var i = 0; i < 10; i++)
        {
            var writer = SqliteCliWriter.Open(Path.Combine(root, DemoDataGenerator.Users[i % 4].FolderName, Fids.New(at, Random.Shared), "sqlite3.db"));
            writers.Add(writer);
            foreach (var status in statuses) writer.Append("status", status, timestamp += 5);
        }
        return writers;
    }

    static bool CanSetLimitInUserNamespace(string limit)
    {
        try
        {
            using var probe = Process.Start(new ProcessStartInfo("unshare", ["--user", "--map-root-user", "sh", "-c", $"echo 0 > /proc/sys/user/{limit}"])
            {
                RedirectStandardError = true,
            });
            probe!.WaitForExit(10_000);
            return probe.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    /// <summary>
    /// The built service (<c>Kodosumi.Api.dll</c> beside the tests) started by a shell in a new user namespace,
    /// which sets one inotify limit (to zero unless told), then raises it when told to on its standard input.
    /// </summary>
    sealed class LimitedService : IDisposable
    {
        readonly Process _process;
        readonly ConcurrentQueue<string> _output = new();

        public Uri Address { get; }
        public string Output => string.Join('\n', _output);

        LimitedService(Process process, Uri address)
        {
            _process = process;
            Address = address;
            process.OutputDataReceived += (_, e) => { if (e.Data is not null) _output.Enqueue(e.Data); };
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null) _output.Enqueue(e.Data); };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        public static LimitedService Start(string dataDir, string indexPath, string limit, int limitValue = 0, string rescanInterval = "00:00:01")
        {
            var address = new Uri($"http://127.0.0.1:{FreePort()}");
            var api = Path.Combine(AppContext.BaseDirectory, "Kodosumi.Api.dll");
            var sysctl = $"/proc/sys/user/{limit}";
            var script = $"echo {limitValue} > {sysctl} && dotnet '{api}' & read raise; echo 100000 > {sysctl}; wait";
            var start = new ProcessStartInfo("unshare", ["--user", "--map-root-user", "sh", "-c", script])
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                WorkingDirectory = AppContext.BaseDirectory,
            };
            var settings = new Dictionary<string, string>
            {
                ["ASPNETCORE_ENVIRONMENT"] = "Testing",
                ["ASPNETCORE_URLS"] = address.ToString(),
                ["Indexer__DataDir"] = dataDir,
                ["Indexer__IndexPath"] = indexPath,
                ["Indexer__RescanInterval"] = rescanInterval,
                ["Indexer__WatcherRetryDelay"] = "00:00:01",
                ["Auth__AdminId"] = IndexerHost.Operator,
                ["Logging__LogLevel__Default"] = "Information",
                // The configuration's own file watcher would take inotify watches too, a number that depends on the build folder.
                ["DOTNET_USE_POLLING_FILE_WATCHER"] = "true",
            };
            foreach (var (key, value) in settings) start.Environment[key] = value;
            return new LimitedService(Process.Start(start) ?? throw new InvalidOperationException("cannot start unshare"), address);
        }

        /// <summary>Tells the shell in the namespace to raise the limit.</summary>
        public void RaiseLimit()
        {
            _process.StandardInput.WriteLine("raise");
            _process.StandardInput.Flush();
        }

        static int FreePort()
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        public void Dispose()
        {
            // The shell and the service under it, which this test started.
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
            _process.Dispose();
        }
    }
}
