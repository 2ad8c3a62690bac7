using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Kodosumi.Shared.Demo;
using Kodosumi.TestSupport;
using Kodosumi.Tests.Resilience;
using Kodosumi.Tests.Support;

namespace Kodosumi.Tests.Security;

/// <summary>
/// The service as its own process over one generated data set, shared by the security tests. It believes
/// <c>X-Forwarded-For</c> from loopback, so each test can be a client (an address) of its own and the failed-login
/// budget of one test never touches another's; the per-account slowdown is tested on a process of its own.
/// </summary>
[SetUpFixture]
public class SecurityService
{
    public static readonly DemoUser Admin = DemoDataGenerator.Users[0];
    public static readonly DemoUser Alice = DemoDataGenerator.Users[1];
    public static readonly DemoUser Bob = DemoDataGenerator.Users[2];

    public static string DataDir { get; private set; } = "";
    public static string ExecutionRoot => Path.Combine(DataDir, "execution");
    public static ServiceProcess Service { get; private set; } = null!;
    static string _indexDir = "";
    static int _nextAddress;

    /// <summary>What every service of these tests is started with (and tests of their own add to).</summary>
    public static Dictionary<string, string> Settings(params (string Key, string Value)[] more)
    {
        var settings = new Dictionary<string, string>
        {
            ["Auth:TrustedProxies:0"] = "127.0.0.1",
            ["Auth:AccountSlowdownAfter"] = "100000",
            ["Indexer:WatchFinishedFor"] = "365.00:00:00",
            // No window slot ends within a test that compares ETags.
            ["Dashboard:WindowSlot"] = "01:00:00",
        };
        foreach (var (key, value) in more) settings[key] = value;
        return settings;
    }

    [OneTimeSetUp]
    public async Task Start()
    {
        DataDir = TempDirs.Create("kodo-security");
        _indexDir = TempDirs.Create("kodo-security-index");
        new DemoDataGenerator(new DemoOptions { Executions = 30, Seed = 2121 }).Generate(DataDir);
        Service = await ServiceUnderTest.StartReadyAsync(DataDir, Path.Combine(_indexDir, "index.db"), settings: Settings());
    }

    [OneTimeTearDown]
    public void Stop()
    {
        Service.Dispose();
        TempDirs.Delete(DataDir);
        TempDirs.Delete(_indexDir);
    }

    /// <summary>An address no other test uses (TEST-NET-2), so its failed logins count only against itself.</summary>
    public static string NewClientAddress()
    {
        var n = Interlocked.Increment(ref _nextAddress);
        return $"198.51.{n / 250}.{n % 250 + 1}";
    }

    /// <summary>A client of the service without a token or cookies, so each test sets exactly what it sends.</summary>
    public static HttpClient Anonymous(ServiceProcess? service = null) => new(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false })
    {
        BaseAddress = (service ?? Service).Client.BaseAddress,
        Timeout = TimeSpan.FromSeconds(60),
    };

    /// <summary>A fresh token for <paramref name="user"/>, from a login as a client of its own.</summary>
    public static async Task<string> SignIn(DemoUser user, ServiceProcess? service = null)
    {
        using var client = Anonymous(service);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/login") { Content = JsonContent.Create(new { name = user.Name, password = user.Password }) };
        request.Headers.Add("X-Forwarded-For", NewClientAddress());
        using var response = await client.SendAsync(request);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), $"{user.Name} signs in");
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).Str("KODOSUMI_API_KEY");
    }

    /// <summary>A client whose requests carry <paramref name="token"/> in Kodosumi's header.</summary>
    public static HttpClient WithToken(string token, ServiceProcess? service = null)
    {
        var client = Anonymous(service);
        client.DefaultRequestHeaders.Add("KODOSUMI_API_KEY", token);
        return client;
    }

    /// <summary>An execution of <paramref name="user"/>'s, from the files.</summary>
    public static Expected ExecutionOf(DemoUser user, int skip = 0) =>
        Recount.All(ExecutionRoot).Where(e => e.UserId == user.FolderName).OrderBy(e => e.Fid, StringComparer.Ordinal).Skip(skip).First();

    /// <summary>Appends a row to an execution's database, as Kodosumi's writer would.</summary>
    public static void Touch(Expected execution, string message = "touched")
    {
        using var writer = SqliteCliWriter.Open(Path.Combine(ExecutionRoot, execution.UserId, execution.Fid, "sqlite3.db"));
        writer.Append("status", "finished", (execution.Last ?? 1_700_000_000) + 1);
    }
}
