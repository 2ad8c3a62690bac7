using System.Net;
using Kodosumi.Shared.Demo;
using Kodosumi.Tests.Support;

namespace Kodosumi.Tests.Auth;

/// <summary>
/// One generated data set and one host shared by the auth tests (built once, as starting a host is the
/// expensive part). Tests that change admin.db put it back before they finish.
/// </summary>
[SetUpFixture]
public class AuthDataSet
{
    public const string Dashboard = "/api/dashboard";
    public static readonly DemoUser Admin = DemoDataGenerator.Users[0];   // operator
    public static readonly DemoUser Alice = DemoDataGenerator.Users[1];
    public static readonly DemoUser Bob = DemoDataGenerator.Users[2];
    public static readonly DemoUser Carol = DemoDataGenerator.Users[3];   // operator

    static HostedDataSet _data = null!;
    public static string DataDir => _data.DataDir;
    public static IndexerHost Host => _data.Host;
    public static List<Expected> Executions { get; private set; } = [];

    [OneTimeSetUp]
    public async Task Start()
    {
        _data = HostedDataSet.Create("kodo-auth", new DemoOptions { Executions = 160, Seed = 23, LargeResultEvery = 1000 });
        Executions = Recount.All(_data.ExecutionRoot);
        await _data.StartAsync();
    }

    [OneTimeTearDown]
    public void Stop() => _data.Dispose();

    /// <summary>A client with no token and no cookie jar, so each test sets exactly what it sends.</summary>
    public static HttpClient Anonymous() =>
        Host.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { HandleCookies = false });

    /// <summary>Changes admin.db as Kodosumi would, with a writer of its own.</summary>
    public static void ChangeRoles(string sql, params (string Name, object Value)[] parameters) =>
        AdminDb.Execute(DataDir, sql, parameters);

    public static string Hex32(DemoUser user) => user.Id.ToString("N");

    /// <summary>Waits until a request with a token of <paramref name="userId"/> gets <paramref name="status"/>.</summary>
    public static Task WaitForStatus(string userId, HttpStatusCode status, string what) =>
        Wait.Until(async () =>
        {
            using var client = Host.ClientFor(userId);
            return (await client.GetAsync($"{Dashboard}/agent-stats")).StatusCode == status;
        }, TimeSpan.FromSeconds(15), what);
}
