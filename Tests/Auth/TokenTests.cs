using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Kodosumi.Tests.Support;
using static Kodosumi.Tests.Auth.AuthDataSet;

namespace Kodosumi.Tests.Auth;

/// <summary>Kodosumi's tokens, made by the test-side signer, are accepted; every kind of bad token gets 401.</summary>
[Category("Integration")]
public class TokenTests
{
    static HttpRequestMessage Get(string url) => new(HttpMethod.Get, url);

    [Test]
    public async Task A_token_in_the_KODOSUMI_API_KEY_header_is_accepted()
    {
        using var client = Anonymous();
        var request = Get($"{Dashboard}/agent-stats");
        request.Headers.Add("KODOSUMI_API_KEY", TestJwt.For(Alice.FolderName));
        Assert.That((await client.SendAsync(request)).StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task A_token_in_the_kodosumi_jwt_cookie_is_accepted()
    {
        using var client = Anonymous();
        var request = Get($"{Dashboard}/agent-stats");
        request.Headers.Add("Cookie", "kodosumi_jwt=" + TestJwt.For(Alice.FolderName));
        Assert.That((await client.SendAsync(request)).StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task A_standard_bearer_header_is_accepted_too()
    {
        using var client = Anonymous();
        var request = Get($"{Dashboard}/agent-stats");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", TestJwt.For(Alice.FolderName));
        Assert.That((await client.SendAsync(request)).StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task A_sub_written_as_32_hex_digits_names_the_same_role()
    {
        using var client = Anonymous();
        var request = Get($"{Dashboard}/agent-stats");
        request.Headers.Add("KODOSUMI_API_KEY", TestJwt.For(Hex32(Alice)));
        Assert.That((await client.SendAsync(request)).StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    public static IEnumerable<TestCaseData> BadTokens()
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var admin = Admin.FolderName;
        yield return new TestCaseData(TestJwt.Sign(new { sub = admin, iat = now - 7200, exp = now - 3600 }, TestJwt.DefaultSecret)).SetArgDisplayNames("expired");
        var alice = TestJwt.For(Alice.FolderName).Split('.');
        var forged = Convert.ToBase64String(JsonSerializer.SerializeToUtf8Bytes(new { sub = admin, iat = now, exp = now + 3600 }))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');
        yield return new TestCaseData($"{alice[0]}.{forged}.{alice[2]}").SetArgDisplayNames("tampered payload");
        var flipped = alice[2][..^2] + (alice[2][^2] == 'A' ? 'B' : 'A') + alice[2][^1];
        yield return new TestCaseData($"{alice[0]}.{alice[1]}.{flipped}").SetArgDisplayNames("tampered signature");
        yield return new TestCaseData(TestJwt.For(admin, secret: "not the secret")).SetArgDisplayNames("wrong key");
        yield return new TestCaseData(TestJwt.Sign(new { sub = admin, iat = now, exp = now + 3600 }, "", alg: "none")).SetArgDisplayNames("alg none");
        yield return new TestCaseData(TestJwt.Sign(new { sub = admin, iat = now, exp = now + 3600 }, TestJwt.DefaultSecret, alg: "None")).SetArgDisplayNames("alg None, signed anyway");
        yield return new TestCaseData(HS512(new { sub = admin, iat = now, exp = now + 3600 })).SetArgDisplayNames("HS512, not Kodosumi's algorithm");
        yield return new TestCaseData(TestJwt.Sign(new { sub = admin, iat = now }, TestJwt.DefaultSecret)).SetArgDisplayNames("no exp");
        yield return new TestCaseData(TestJwt.For(Guid.NewGuid().ToString())).SetArgDisplayNames("unknown role");
        yield return new TestCaseData(TestJwt.For("not-a-uuid")).SetArgDisplayNames("sub not a uuid");
        yield return new TestCaseData("not.a.token").SetArgDisplayNames("garbage");
    }

    static string HS512(object payload)
    {
        static string B64(byte[] b) => Convert.ToBase64String(b).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var input = B64(JsonSerializer.SerializeToUtf8Bytes(new { alg = "HS512", typ = "JWT" })) + "." + B64(JsonSerializer.SerializeToUtf8Bytes(payload));
        return input + "." + B64(HMACSHA512.HashData(Encoding.UTF8.GetBytes(TestJwt.DefaultSecret), Encoding.ASCII.GetBytes(input)));
    }

    [TestCaseSource(nameof(BadTokens))]
    public async Task A_bad_token_gets_401_from_header_and_cookie(string token)
    {
        using var client = Anonymous();
        var byHeader = Get($"{Dashboard}/running-agents");
        byHeader.Headers.Add("KODOSUMI_API_KEY", token);
        Assert.That((await client.SendAsync(byHeader)).StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        var byCookie = Get($"{Dashboard}/running-agents");
        byCookie.Headers.Add("Cookie", "kodosumi_jwt=" + token);
        Assert.That((await client.SendAsync(byCookie)).StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    [TestCase("running-agents")]
    [TestCase("errors")]
    [TestCase("timeline")]
    [TestCase("agent-stats")]
    [TestCase("execution/{fid}/details")]
    [TestCase("execution/{fid}/files")]
    [TestCase("execution/{fid}/files/in/{file}")]
    public async Task Every_dashboard_endpoint_needs_a_token(string path)
    {
        var e = Executions.First(x => x.Uploads > 0);
        var file = Directory.GetFiles(Path.Combine(Host.ExecutionRoot, e.UserId, e.Fid, "in"))[0];
        using var client = Anonymous();
        var url = $"{Dashboard}/{path.Replace("{fid}", e.Fid).Replace("{file}", Path.GetFileName(file))}";
        Assert.That((await client.GetAsync(url)).StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        using var admin = Host.ClientFor(Admin.FolderName);
        Assert.That((await admin.GetAsync(url)).StatusCode, Is.EqualTo(HttpStatusCode.OK), "the same request with a token");
    }

    [TestCase("/health/live")]
    [TestCase("/health/ready")]
    public async Task Health_stays_open(string url)
    {
        using var client = Anonymous();
        Assert.That((await client.GetAsync(url)).StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task A_role_made_inactive_loses_access_within_seconds_and_regains_it()
    {
        var token = TestJwt.For(Alice.FolderName);
        await WaitForStatus(Alice.FolderName, HttpStatusCode.OK, "alice starts active");
        try
        {
            ChangeRoles("UPDATE roles SET active = 0 WHERE id = $id", ("$id", Hex32(Alice)));
            await WaitForStatus(Alice.FolderName, HttpStatusCode.Unauthorized, "alice's token refused once she is inactive");
        }
        finally
        {
            ChangeRoles("UPDATE roles SET active = 1 WHERE id = $id", ("$id", Hex32(Alice)));
        }
        await WaitForStatus(Alice.FolderName, HttpStatusCode.OK, "alice's token accepted again");
    }

    [Test]
    public async Task A_new_operator_flag_takes_effect_within_seconds()
    {
        using var bob = Host.ClientFor(Bob.FolderName);
        async Task<int> Total() => (await bob.GetJson($"{Dashboard}/agent-stats")).GetProperty("total_executions").GetInt32();
        Assert.That(await Total(), Is.EqualTo(Executions.Count(e => e.UserId == Bob.FolderName)));
        try
        {
            ChangeRoles("UPDATE roles SET operator = 1 WHERE id = $id", ("$id", Hex32(Bob)));
            await Wait.Until(async () => await Total() == Executions.Count, TimeSpan.FromSeconds(15), "bob sees everything as an operator");
        }
        finally
        {
            ChangeRoles("UPDATE roles SET operator = 0 WHERE id = $id", ("$id", Hex32(Bob)));
        }
        await Wait.Until(async () => await Total() == Executions.Count(e => e.UserId == Bob.FolderName), TimeSpan.FromSeconds(15),
            "bob back to his own executions");
    }

    [Test]
    public async Task A_new_role_is_accepted_within_seconds_and_a_deleted_one_refused()
    {
        var dave = Guid.NewGuid();
        await WaitForStatus(dave.ToString(), HttpStatusCode.Unauthorized, "dave does not exist yet");
        try
        {
            ChangeRoles("INSERT INTO roles VALUES ($id, 'dave', 'dave@example.com', 1, $password, 0)",
                ("$id", dave.ToString("N")), ("$password", BCrypt.Net.BCrypt.HashPassword("dave", 4)));
            await WaitForStatus(dave.ToString(), HttpStatusCode.OK, "dave's token accepted");
            using var client = Host.ClientFor(dave.ToString());
            var json = await client.GetJson($"{Dashboard}/running-agents?hours=999999");
            Assert.That(json.GetProperty("total").GetInt32(), Is.Zero, "dave has no executions");
        }
        finally
        {
            ChangeRoles("DELETE FROM roles WHERE id = $id", ("$id", dave.ToString("N")));
        }
        await WaitForStatus(dave.ToString(), HttpStatusCode.Unauthorized, "dave's token refused once his role is deleted");
    }

    [Test]
    public void The_default_secret_is_warned_about_at_start() =>
        Assert.That(Host.Logs.Count(Microsoft.Extensions.Logging.LogLevel.Warning, "KODO_SECRET_KEY is Kodosumi's default secret"), Is.EqualTo(1));
}
