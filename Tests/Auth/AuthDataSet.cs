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

    public static string DataDir { get; private set; } = "";
    public static IndexerHost Host { get; private set; } = null!;
    public static List<Expected> Executions { get; private set; } = [];

    [OneTimeSetUp]
    public async Task Start()
    {
        DataDir = TempDirs.Create("kodo-auth");
        new DemoDataGenerator(new DemoOptions { Executions = 160, Seed = 23, LargeResultEvery = 1000 }).Generate(DataDir);
        Executions = Recount.All(Path.Combine(DataDir, "execution"));
        Host = new IndexerHost(DataDir);
        (await Host.StartAsync()).Dispose();
    }

    [OneTimeTearDown]
    public void Stop()
    {
        Host.Dispose();
        TempDirs.Delete(DataDir);
    }

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
