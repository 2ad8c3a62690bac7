using Kodosumi.Api.Caching;
using Kodosumi.Indexer;
using Kodosumi.Shared.Demo;
using Kodosumi.Tests.Support;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;

namespace Kodosumi.Tests.Integration;

[Category("Integration")]
public class SettingsTests
{
    /// <summary>The host with exactly the settings a test gives, as environment variables would.</summary>
    sealed class ConfiguredHost(Dictionary<string, string?> settings) : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder) =>
            builder.ConfigureAppConfiguration((_, config) => config.AddInMemoryCollection(settings));
    }

    string _dataDir = "";
    string _indexDir = "";

    [SetUp]
    public void Dirs()
    {
        _dataDir = TempDirs.Create("kodo-settings");
        _indexDir = TempDirs.Create("kodo-settings-index");
    }

    [TearDown]
    public void Clean()
    {
        TempDirs.Delete(_dataDir);
        TempDirs.Delete(_indexDir);
    }

    [TestCase("sqlite+aiosqlite:///./data/admin.db", "./data/admin.db")]
    [TestCase("sqlite+aiosqlite:////var/kodo/admin.db", "/var/kodo/admin.db")]
    [TestCase("sqlite:///admin.db?mode=ro", "admin.db")]
    [TestCase("/plain/path/admin.db", "/plain/path/admin.db")]
    public void Kodosumi_admin_database_urls_name_the_file(string url, string path) =>
        Assert.That(IndexerOptions.FromSqlAlchemyUrl(url), Is.EqualTo(path));

    [Test]
    public async Task Kodosumi_variables_point_the_service_at_its_folders()
    {
        // Kodosumi's layout need not be {data}/execution: both locations come from its own variables.
        var execDir = Path.Combine(_dataDir, "elsewhere", "exec");
        new DemoDataGenerator(new DemoOptions { Executions = 12, Seed = 9 }).Generate(_dataDir);
        Directory.CreateDirectory(Path.GetDirectoryName(execDir)!);
        Directory.Move(Path.Combine(_dataDir, "execution"), execDir);
        var adminDb = Path.Combine(_dataDir, "elsewhere", "users.db");
        File.Move(Path.Combine(_dataDir, "admin.db"), adminDb);

        using var host = new ConfiguredHost(new()
        {
            ["Indexer:DataDir"] = Path.Combine(_dataDir, "unused"),
            ["Indexer:IndexPath"] = Path.Combine(_indexDir, "index.db"),
            ["KODO_EXEC_DIR"] = execDir,
            ["KODO_ADMIN_DATABASE"] = "sqlite+aiosqlite:///" + adminDb,
        });
        using var client = host.CreateClient();
        // The demo's operator, from the moved admin.db: the dashboard needs a signed-in user.
        client.DefaultRequestHeaders.Add("KODOSUMI_API_KEY", Kodosumi.Tests.Auth.TestJwt.For(DemoDataGenerator.Users[0].FolderName));
        await Wait.Until(async () => (await client.GetAsync("/health/ready")).IsSuccessStatusCode, TimeSpan.FromSeconds(30), "ready");
        var list = await client.GetJson("/api/dashboard/running-agents?hours=999999&limit=5000");
        Assert.That(list.GetProperty("total").GetInt32(), Is.EqualTo(12));
        Assert.That(list.GetProperty("agents").EnumerateArray().All(r => r.GetProperty("user_name").GetString() is { Length: > 0 }), "user names come from the moved admin.db");
    }

    [TestCase("Indexer:RescanInterval", "-00:00:05", "RescanInterval")]
    [TestCase("Indexer:RescanInterval", "soon", "RescanInterval")]
    [TestCase("Indexer:SettledLookInterval", "00:00:00", "SettledLookInterval")]
    [TestCase("Indexer:RowsPerRead", "0", "RowsPerRead")]
    [TestCase("KODO_ADMIN_DATABASE", "postgresql://kodo@db/admin", "AdminDatabase")]
    [TestCase("Indexer:QuarantineAfter", "0", "QuarantineAfter")]
    [TestCase("Indexer:QuarantineProbe", "00:00:00", "QuarantineProbe")]
    [TestCase("Indexer:QuarantineProbe", "02:00:00", "QuarantineProbeMax")]
    [TestCase("Indexer:WatcherRetryDelay", "-00:00:01", "WatcherRetryDelay")]
    [TestCase("Dashboard:WindowSlot", "00:00:00", "WindowSlot")]
    [TestCase("Dashboard:KeptAnswersBytes", "-1", "KeptAnswersBytes")]
    [TestCase("Stream:HeartbeatInterval", "02:00:00", "HeartbeatInterval")]
    [TestCase("Stream:BufferSize", "3", "BufferSize")]
    public void An_invalid_setting_stops_the_start_and_names_the_setting(string key, string value, string named)
    {
        using var host = new ConfiguredHost(new()
        {
            ["Indexer:DataDir"] = _dataDir,
            ["Indexer:IndexPath"] = Path.Combine(_indexDir, "index.db"),
            [key] = value,
        });
        var error = Assert.Catch(() => host.CreateClient());
        Assert.That(error!.ToString(), Does.Contain(named));
    }

    [Test]
    public void An_index_inside_the_data_directory_is_refused()
    {
        using var host = new ConfiguredHost(new()
        {
            ["Indexer:DataDir"] = _dataDir,
            ["Indexer:IndexPath"] = Path.Combine(_dataDir, "index.db"),
        });
        var error = Assert.Catch(() => host.CreateClient());
        Assert.That(error!.ToString(), Does.Contain("IndexPath"));
        Assert.That(File.Exists(Path.Combine(_dataDir, "index.db")), Is.False);
    }

    [Test]
    public async Task User_names_follow_changes_to_admin_db_without_a_restart()
    {
        new DemoDataGenerator(new DemoOptions { Executions = 10, Seed = 4 }).Generate(_dataDir);
        using var host = new IndexerHost(_dataDir);
        using var client = await host.StartAsync();
        var alice = DemoDataGenerator.Users.Single(u => u.Name == "alice");
        AdminDb.SetRole(_dataDir, alice, "name", "alicia");
        await Wait.Until(async () =>
        {
            var list = await client.GetJson($"/api/dashboard/running-agents?hours=999999&user={alice.FolderName}");
            return list.GetProperty("agents").EnumerateArray().All(r => r.GetProperty("user_name").GetString() == "alicia")
                && list.GetProperty("total").GetInt32() > 0;
        }, TimeSpan.FromSeconds(10), "the renamed user is shown");
    }
}
