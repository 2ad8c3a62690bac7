using System.Net;
using System.Net.Http.Json;
using Kodosumi.Shared.Demo;
using Kodosumi.Tests.Support;
using Microsoft.Extensions.Logging;

namespace Kodosumi.Tests.Auth;

/// <summary>
/// Without admin.db the one account comes from settings; and a secret shorter than 256 bits, which
/// Kodosumi (PyJWT) accepts, works here too.
/// </summary>
[Category("Integration")]
public class SettingsAdminTests : InProcessHostTest
{
    const string ShortSecret = "s3cret";
    List<Expected> _executions = [];
    string SavedAdminDb => DataDir + "-admin.db";

    [OneTimeSetUp]
    public async Task StartWithoutAdminDb()
    {
        CreateDataDir("kodo-noadmin", new DemoOptions { Executions = 20, Seed = 5 });
        // Kept aside for the test in which an admin.db appears.
        File.Move(Path.Combine(DataDir, "admin.db"), SavedAdminDb);
        _executions = Recount.All(ExecutionRoot);
        await StartHostAsync(settings: new Dictionary<string, string?> { ["KODO_SECRET_KEY"] = ShortSecret });
    }

    [OneTimeTearDown]
    public void DeleteSavedAdminDb() => File.Delete(SavedAdminDb);

    [Test]
    public async Task The_settings_admin_logs_in_with_admin_admin_and_sees_everything()
    {
        using var client = Host.CreateClient();
        var response = await client.PostAsJsonAsync("/api/login", new { name = "admin", password = "admin" });
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var token = (await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).Str("KODOSUMI_API_KEY");
        Assert.That(TestJwt.Verify(token, ShortSecret).Str("sub"), Is.EqualTo(IndexerHost.Operator));
        var stats = await client.GetJson("/api/dashboard/agent-stats");
        Assert.That(stats.GetProperty("total_executions").GetInt32(), Is.EqualTo(_executions.Count));
    }

    [Test]
    public async Task A_test_side_token_signed_with_the_short_secret_is_accepted_and_one_with_another_key_is_not()
    {
        using var good = Host.ClientFor(IndexerHost.Operator);
        Assert.That((await good.GetAsync("/api/dashboard/agent-stats")).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        using var client = Host.CreateClient();
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/dashboard/agent-stats");
        request.Headers.Add("KODOSUMI_API_KEY", TestJwt.For(IndexerHost.Operator, ShortSecret + "x"));
        Assert.That((await client.SendAsync(request)).StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    [Test]
    public async Task Kodosumis_users_do_not_exist_without_admin_db()
    {
        using var client = Host.CreateClient();
        Assert.That((await client.PostAsJsonAsync("/api/login", new { name = "alice", password = "alice" })).StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That((await client.PostAsJsonAsync("/api/login", new { name = "admin", password = "wrong" })).StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        using var alice = Host.ClientFor(DemoDataGenerator.Users[1].FolderName);
        Assert.That((await alice.GetAsync("/api/dashboard/agent-stats")).StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    [Test]
    public void The_default_password_is_warned_about_and_the_secret_is_not()
    {
        Assert.That(Host.Logs.Count(LogLevel.Warning, "default password"), Is.EqualTo(1));
        Assert.That(Host.Logs.Count(LogLevel.Warning, "No admin.db"), Is.EqualTo(1));
        Assert.That(Host.Logs.Count(LogLevel.Warning, "KODO_SECRET_KEY"), Is.Zero);
    }

    [Test]
    public async Task The_admin_password_comes_from_KODO_ADMIN_PASSWORD_too()
    {
        using var host = new IndexerHost(DataDir, settings: new Dictionary<string, string?> { ["KODO_ADMIN_PASSWORD"] = "better" });
        using var client = await host.StartAsync(anonymous: true);
        Assert.That((await client.PostAsJsonAsync("/api/login", new { name = "admin", password = "admin" })).StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That((await client.PostAsJsonAsync("/api/login", new { name = "admin", password = "better" })).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(host.Logs.Count(LogLevel.Warning, "default password"), Is.Zero);
    }

    [Test]
    public async Task Once_admin_db_appears_its_users_count_and_its_loss_does_not_bring_back_the_settings_admin()
    {
        var dataDir = TempDirs.Create("kodo-appears");
        var host = new IndexerHost(dataDir);
        try
        {
            Directory.CreateDirectory(host.ExecutionRoot);
            (await host.StartAsync()).Dispose();
            var alice = DemoDataGenerator.Users[1].FolderName;
            async Task<HttpStatusCode> Status(string userId)
            {
                using var client = host.ClientFor(userId);
                return (await client.GetAsync("/api/dashboard/agent-stats")).StatusCode;
            }
            Assert.That(await Status(IndexerHost.Operator), Is.EqualTo(HttpStatusCode.OK), "the settings admin");
            Assert.That(await Status(alice), Is.EqualTo(HttpStatusCode.Unauthorized));

            File.Copy(SavedAdminDb, Path.Combine(dataDir, "admin.db"));
            await Wait.Until(async () => await Status(alice) == HttpStatusCode.OK, TimeSpan.FromSeconds(15), "alice from the new admin.db");

            File.Delete(Path.Combine(dataDir, "admin.db"));
            await Wait.Until(async () => await Status(IndexerHost.Operator) == HttpStatusCode.Unauthorized, TimeSpan.FromSeconds(15),
                "nobody, not even the settings admin, once admin.db is gone again");
        }
        finally
        {
            // The host goes first: its watcher and worker must not outlive the folder they watch.
            host.Dispose();
            TempDirs.Delete(dataDir);
        }
    }

    [Test]
    public void An_empty_secret_stops_the_service_at_start_naming_KODO_SECRET_KEY()
    {
        using var host = new IndexerHost(DataDir, settings: new Dictionary<string, string?> { ["KODO_SECRET_KEY"] = "" });
        var failure = Assert.Catch(() => host.CreateClient());
        Assert.That(failure!.ToString(), Does.Contain("KODO_SECRET_KEY"));
    }
}
