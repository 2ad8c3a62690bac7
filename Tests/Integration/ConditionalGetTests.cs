using System.Net;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using Kodosumi.Api.Caching;
using Kodosumi.Indexer.Store;
using Kodosumi.Shared.Demo;
using Kodosumi.TestSupport;
using Kodosumi.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Kodosumi.Tests.Integration;

/// <summary>ETags from the index's version: 304 while nothing changed, 200 with a new ETag after a separate writer commits.</summary>
[Category("Integration")]
public class ConditionalGetTests : InProcessHostTest
{
    [OneTimeSetUp]
    public async Task Start()
    {
        CreateDataDir("kodo-etag", new DemoOptions { Executions = 15, Seed = 12 });
        // Slow rescans: the change must come from the watcher. A long window slot: no slot ends mid-test.
        await StartHostAsync(rescan: TimeSpan.FromMinutes(10), settings: new Dictionary<string, string?>
        {
            ["Dashboard:WindowSlot"] = "01:00:00",
            // Tests here write to executions that finished long ago: all of them stay watched.
            ["Indexer:WatchFinishedFor"] = "365.00:00:00",
        });
    }

    Task<HttpResponseMessage> Conditional(HttpClient client, string url, EntityTagHeaderValue etag)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.IfNoneMatch.Add(etag);
        return client.SendAsync(request);
    }

    [TestCase("/api/dashboard/agent-stats")]
    [TestCase("/api/dashboard/running-agents?hours=999999")]
    [TestCase("/api/dashboard/errors")]
    [TestCase("/api/dashboard/running-agents/export?format=csv&hours=999999")]
    public async Task An_unchanged_answer_is_304_until_a_write_changes_it(string url)
    {
        var first = await Client.GetAsync(url);
        var etag = first.Headers.ETag!;
        Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var version = Host.Services.GetRequiredService<ExecutionCatalog>().Version;
        Assert.That(etag.Tag, Does.Match($"^\"v{version}-[0-9a-f]+\"$"), "the ETag names the index version it was computed at");

        var again = await Conditional(Client, url, etag);
        Assert.That(again.StatusCode, Is.EqualTo(HttpStatusCode.NotModified));
        Assert.That(again.Headers.ETag, Is.EqualTo(etag));
        Assert.That(await again.Content.ReadAsByteArrayAsync(), Is.Empty);

        var e = Recount.All(Host.ExecutionRoot).First(x => x.Status == "finished");
        using (var writer = SqliteCliWriter.Open(Path.Combine(Host.ExecutionRoot, e.UserId, e.Fid, "sqlite3.db")))
            writer.Append("status", "finished", e.Last + 1);
        await Wait.Until(async () => (await Conditional(Client, url, etag)).StatusCode == HttpStatusCode.OK, TimeSpan.FromSeconds(10), "the write changes the answer");
        var changed = await Client.GetAsync(url);
        Assert.That(changed.Headers.ETag, Is.Not.EqualTo(etag));
        Assert.That(VersionOf(changed.Headers.ETag!), Is.GreaterThan(VersionOf(etag)));
        Assert.That((await Conditional(Client, url, changed.Headers.ETag!)).StatusCode, Is.EqualTo(HttpStatusCode.NotModified));
    }

    [Test]
    public async Task Two_users_and_two_queries_never_share_an_etag()
    {
        using var alice = Host.ClientFor(DemoDataGenerator.Users[1].FolderName);
        const string url = "/api/dashboard/agent-stats";
        var admin = (await Client.GetAsync(url)).Headers.ETag!;
        var hers = (await alice.GetAsync(url)).Headers.ETag!;
        var otherQuery = (await Client.GetAsync(url + "?hours=24")).Headers.ETag!;
        Assert.That(new[] { admin.Tag, hers.Tag, otherQuery.Tag }, Is.Unique);
        // The operator's ETag gets her nothing: she is answered in full.
        Assert.That((await Conditional(alice, url, admin)).StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task Refused_and_bad_requests_carry_no_etag()
    {
        var bad = await Client.GetAsync("/api/dashboard/errors?limit=0");
        Assert.That(bad.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(bad.Headers.ETag, Is.Null);
        using var anonymous = Host.CreateClient();
        var refused = await anonymous.GetAsync("/api/dashboard/agent-stats");
        Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(refused.Headers.ETag, Is.Null);
    }

    [Test]
    public async Task A_renamed_user_changes_the_answer_though_the_index_did_not_change()
    {
        var alice = DemoDataGenerator.Users[1];
        const string url = "/api/dashboard/running-agents?hours=999999";
        var first = await Client.GetAsync(url);
        var etag = first.Headers.ETag!;
        Assert.That(await first.Content.ReadAsStringAsync(), Does.Contain($"\"user_name\":\"{alice.Name}\""));
        SetName(alice, "alice-renamed");
        try
        {
            await Wait.Until(async () => (await Conditional(Client, url, etag)).StatusCode == HttpStatusCode.OK, TimeSpan.FromSeconds(10),
                "admin.db's change reaches the ETag");
            var renamed = await Client.GetAsync(url);
            Assert.That(await renamed.Content.ReadAsStringAsync(), Does.Contain("\"user_name\":\"alice-renamed\""));
            Assert.That(VersionOf(renamed.Headers.ETag!), Is.EqualTo(VersionOf(etag)), "the index itself did not change");
        }
        finally
        {
            SetName(alice, alice.Name);
        }
    }

    [Test]
    public async Task An_answer_stands_no_longer_than_its_window_slot()
    {
        using var host = new IndexerHost(DataDir, rescan: TimeSpan.FromMinutes(10),
            settings: new Dictionary<string, string?> { ["Dashboard:WindowSlot"] = "00:00:00.200" });
        using var client = await host.StartAsync();
        const string url = "/api/dashboard/running-agents?hours=1";
        var etag = (await client.GetAsync(url)).Headers.ETag!;
        await Task.Delay(400);
        var later = await Conditional(client, url, etag);
        Assert.That(later.StatusCode, Is.EqualTo(HttpStatusCode.OK), "a sliding window is computed again once its slot has passed");
        Assert.That(VersionOf(later.Headers.ETag!), Is.EqualTo(VersionOf(etag)));
        Assert.That(later.Headers.ETag, Is.Not.EqualTo(etag));
    }

    [Test]
    public async Task A_file_list_follows_the_disk_although_the_index_is_unchanged()
    {
        // The list is read from out/ at each request; a file rewritten in place keeps the counts, so the index does not move.
        var e = Recount.All(Host.ExecutionRoot).First(x => x.Status == "finished");
        var outDir = Path.Combine(Host.ExecutionRoot, e.UserId, e.Fid, "out");
        Directory.CreateDirectory(outDir);
        var url = $"/api/dashboard/execution/{e.Fid}/files";
        var file = Path.Combine(outDir, $"report-{Guid.NewGuid():N}.txt");
        await File.WriteAllTextAsync(file, "first");
        async Task<long?> SizeListed() =>
            System.Text.Json.JsonDocument.Parse(await Client.GetStringAsync(url)).RootElement.GetProperty("downloads").EnumerateArray()
                .Where(f => f.Str("name") == Path.GetFileName(file)).Select(f => (long?)f.GetProperty("size").GetInt64()).FirstOrDefault();
        var count = Directory.GetFiles(outDir, "*", SearchOption.AllDirectories).Length;
        // The index has taken in the new count; from here on it has no reason to move.
        await Wait.Until(async () => (await Client.GetJson($"/api/dashboard/execution/{e.Fid}/details")).GetProperty("metadata")
            .GetProperty("download_count").GetInt32() == count, TimeSpan.FromSeconds(15), "the index counts the new file");
        Assert.That(await SizeListed(), Is.EqualTo(5));
        var version = Host.Services.GetRequiredService<ExecutionCatalog>().Version;

        await File.WriteAllTextAsync(file, new string('x', 12_345));
        await Wait.Until(async () => await SizeListed() == 12_345, TimeSpan.FromSeconds(10), "the rewritten file is listed with its new size");
        Assert.That(Host.Services.GetRequiredService<ExecutionCatalog>().Version, Is.EqualTo(version), "the index did not change");
    }

    [Test]
    public async Task A_request_without_a_valid_token_is_refused_even_with_the_matching_etag()
    {
        // The ETag is a plain hash of public parts: anyone can compute the one for "no user" and would learn,
        // from a 304, the index version (how much has happened) without signing in.
        const string url = "/api/dashboard/agent-stats";
        var slot = TimeSpan.FromHours(1).Ticks; // this fixture's Dashboard:WindowSlot
        var version = Host.Services.GetRequiredService<ExecutionCatalog>().Version;
        var usersVersion = Host.Services.GetRequiredService<Kodosumi.Indexer.Users.UserDirectory>().Version;
        var identity = $"|False|{usersVersion}|{DateTimeOffset.UtcNow.Ticks / slot}|{url}";
        var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(identity)).AsSpan(0, 12));
        var guessed = new EntityTagHeaderValue($"\"v{version}-{hash}\"");
        using var anonymous = Host.CreateClient();
        Assert.That((await Conditional(anonymous, url, guessed)).StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        using var forged = Host.CreateClient();
        forged.DefaultRequestHeaders.Add("KODOSUMI_API_KEY", "not-a-token");
        Assert.That((await Conditional(forged, url, guessed)).StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    void SetName(DemoUser user, string name) =>
        AdminDb.SetRole(DataDir, user, "name", name);

    static long VersionOf(EntityTagHeaderValue etag) => long.Parse(Regex.Match(etag.Tag, "^\"v(\\d+)-").Groups[1].Value);
}
