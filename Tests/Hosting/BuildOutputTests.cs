using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Text;
using System.Text.Json;
using Kodosumi.Shared.Demo;
using Kodosumi.Tests.Support;

namespace Kodosumi.Tests.Hosting;

/// <summary>
/// The service's own build output run as a process, the way a systemd unit without a working directory runs it:
/// <c>dotnet …/Kodosumi.Api.dll</c> started from <c>/</c>.
/// </summary>
[Category("Integration")]
public class BuildOutputTests
{
    static readonly string ApiDll = Path.Combine(RepositoryFiles.Root, "Api", "bin",
        typeof(BuildOutputTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()!.Configuration, "net10.0", "Kodosumi.Api.dll");

    [Test]
    public async Task The_version_command_prints_the_version_of_Directory_Build_props()
    {
        var (exitCode, output) = await RunToEndAsync("--version");
        Assert.That(exitCode, Is.Zero);
        Assert.That(output.Trim(), Is.EqualTo(RepositoryFiles.Version));
    }

    [Test]
    public void The_service_build_carries_no_test_harness()
    {
        // The dependency list is what publish copies into the image.
        using var deps = JsonDocument.Parse(File.ReadAllText(Path.ChangeExtension(ApiDll, ".deps.json")));
        var libraries = deps.RootElement.GetProperty("libraries").EnumerateObject().Select(l => l.Name.Split('/')[0]).ToList();
        var assemblies = Directory.GetFiles(Path.GetDirectoryName(ApiDll)!, "*.dll").Select(Path.GetFileNameWithoutExtension).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(libraries, Does.Contain("Kodosumi.Shared"), "the list is the service's");
            Assert.That(libraries, Has.None.StartsWith("Kodosumi.TestSupport"));
            Assert.That(assemblies, Has.None.EqualTo("Kodosumi.TestSupport"));
            Assert.That(typeof(DemoDataGenerator).Assembly.GetTypes().Select(t => t.Name), Has.None.AnyOf("ServiceProcess", "SqliteCliWriter", "LiveWriters"));
        });
    }

    [Test]
    public async Task Started_from_the_root_directory_it_uses_its_own_folder_as_content_root_and_serves_the_page()
    {
        var dataDir = TempDirs.Create("kodo-from-root");
        new DemoDataGenerator(new DemoOptions { Executions = 5, Seed = 2 }).Generate(dataDir);
        var port = FreePort();
        var start = new ProcessStartInfo("dotnet", [ApiDll])
        {
            WorkingDirectory = "/",
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment =
            {
                ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
                ["Indexer__DataDir"] = dataDir,
                ["Indexer__IndexPath"] = Path.Combine(dataDir + "-index", "index.db"),
            },
        };
        var output = new StringBuilder();
        using var process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            await Wait.Until(async () => (await http.GetAsync("/health/live")).IsSuccessStatusCode, TimeSpan.FromSeconds(30), "the service answers");
            using var login = await http.GetAsync("/admin/login");
            using var d3 = await http.GetAsync("/vendor/d3/d3.min.js");
            string log;
            lock (output) log = output.ToString();
            Assert.Multiple(() =>
            {
                Assert.That(login.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the sign-in page, found below the application's folder");
                Assert.That(d3.StatusCode, Is.EqualTo(HttpStatusCode.OK), "wwwroot's vendored libraries, served from a build too");
                Assert.That(log, Does.Contain($"Content root path: {Path.GetDirectoryName(ApiDll)}{Path.DirectorySeparatorChar}"));
                // appsettings.json was read: it keeps ASP.NET Core's per-request lines below the default level.
                Assert.That(log, Does.Contain("info: Microsoft.Hosting.Lifetime"), "plain text logs outside the image");
                Assert.That(log, Does.Not.Contain("Request starting"));
            });
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            TempDirs.Delete(dataDir);
            TempDirs.Delete(dataDir + "-index");
        }
    }

    static async Task<(int ExitCode, string Output)> RunToEndAsync(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet", [ApiDll, .. args]) { WorkingDirectory = "/", RedirectStandardOutput = true };
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, output);
    }

    static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
