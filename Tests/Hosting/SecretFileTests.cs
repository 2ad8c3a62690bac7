using System.Net;
using System.Net.Http.Json;
using Kodosumi.Shared.Demo;
using Kodosumi.Tests.Auth;
using Kodosumi.Tests.Support;

namespace Kodosumi.Tests.Hosting;

/// <summary><c>KODO_SECRET_KEY_FILE</c> and <c>KODO_ADMIN_PASSWORD_FILE</c>: secrets as Docker and Kubernetes mount them.</summary>
[Category("Integration")]
public class SecretFileTests
{
    string _dataDir = "";
    string _secretFile = "";
    string _passwordFile = "";

    [OneTimeSetUp]
    public void WriteDataAndSecretFiles()
    {
        _dataDir = TempDirs.Create("kodo-secret-files");
        new DemoDataGenerator(new DemoOptions { Executions = 5, Seed = 4 }).Generate(_dataDir);
        // Without admin.db the settings admin, whose password is the file's, is the one account.
        File.Delete(Path.Combine(_dataDir, "admin.db"));
        _secretFile = Path.Combine(_dataDir + "-secrets", "secret-key");
        _passwordFile = Path.Combine(_dataDir + "-secrets", "admin-password");
        Directory.CreateDirectory(Path.GetDirectoryName(_secretFile)!);
        // As `echo value > file` writes them: with a trailing newline.
        File.WriteAllText(_secretFile, "from-a-file\n");
        File.WriteAllText(_passwordFile, "file-password\r\n");
    }

    [OneTimeTearDown]
    public void Delete()
    {
        TempDirs.Delete(_dataDir);
        TempDirs.Delete(Path.GetDirectoryName(_secretFile)!);
    }

    [Test]
    public async Task The_secret_key_and_the_admin_password_are_read_from_their_files_without_the_trailing_newline()
    {
        using var host = new IndexerHost(_dataDir, settings: new Dictionary<string, string?>
        {
            ["KODO_SECRET_KEY_FILE"] = _secretFile,
            ["KODO_ADMIN_PASSWORD_FILE"] = _passwordFile,
        });
        using var client = await host.StartAsync(anonymous: true);

        var signedWithFile = new HttpRequestMessage(HttpMethod.Get, "/api/dashboard/agent-stats");
        signedWithFile.Headers.Add("KODOSUMI_API_KEY", TestJwt.For(IndexerHost.Operator, "from-a-file"));
        var signedWithDefault = new HttpRequestMessage(HttpMethod.Get, "/api/dashboard/agent-stats");
        signedWithDefault.Headers.Add("KODOSUMI_API_KEY", TestJwt.For(IndexerHost.Operator));
        Assert.Multiple(async () =>
        {
            Assert.That((await client.SendAsync(signedWithFile)).StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That((await client.SendAsync(signedWithDefault)).StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That((await client.PostAsJsonAsync("/api/login", new { name = "admin", password = "file-password" })).StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That((await client.PostAsJsonAsync("/api/login", new { name = "admin", password = "admin" })).StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        });
    }

    [TestCase("KODO_SECRET_KEY")]
    [TestCase("KODO_ADMIN_PASSWORD")]
    public void A_secret_given_both_as_a_value_and_as_a_file_stops_the_service_at_start_naming_both(string name)
    {
        using var host = new IndexerHost(_dataDir, settings: new Dictionary<string, string?>
        {
            [name] = "a-value",
            [name + "_FILE"] = _secretFile,
        });
        var failure = Assert.Catch(() => host.CreateClient());
        Assert.That(failure!.ToString(), Does.Contain($"Both {name} and {name}_FILE are set"));
    }

    [Test]
    public void A_secret_file_that_cannot_be_read_stops_the_service_at_start_naming_it()
    {
        var missing = Path.Combine(_dataDir + "-secrets", "missing");
        using var host = new IndexerHost(_dataDir, settings: new Dictionary<string, string?> { ["KODO_SECRET_KEY_FILE"] = missing });
        var failure = Assert.Catch(() => host.CreateClient());
        Assert.That(failure!.ToString(), Does.Contain("KODO_SECRET_KEY_FILE").And.Contain(missing));
    }
}
