using System.Net;
using System.Text.Json;
using Kodosumi.Shared.Demo;
using Kodosumi.Tests.Support;
using static Kodosumi.Tests.Auth.AuthDataSet;

namespace Kodosumi.Tests.Auth;

/// <summary>
/// Two users and an operator over one data set: every endpoint answers exactly the executions each may
/// see, as recounted from the files (<see cref="Recount"/>), and another user's fid looks like no fid at all.
/// </summary>
[Category("Integration")]
[TestFixture("admin")]
[TestFixture("alice")]
[TestFixture("bob")]
public class VisibilityTests(string name)
{
    DemoUser _user = null!;
    HttpClient _client = null!;
    List<Expected> _visible = [];
    List<Expected> _hidden = [];

    [OneTimeSetUp]
    public void SignIn()
    {
        _user = DemoDataGenerator.Users.Single(u => u.Name == name);
        _client = Host.ClientFor(_user.FolderName);
        // Worked out here from the demo's users, not asked of the service.
        _visible = Executions.Where(e => _user.Operator || e.UserId == _user.FolderName).ToList();
        _hidden = Executions.Except(_visible).ToList();
        Assert.That(_visible, Is.Not.Empty);
        if (!_user.Operator) Assert.That(_hidden, Is.Not.Empty);
    }

    [OneTimeTearDown]
    public void Dispose() => _client.Dispose();

    static List<string> Fids(JsonElement list) => list.EnumerateArray().Select(r => r.Str("fid")).ToList();

    [Test]
    public async Task Running_agents_lists_and_counts_only_visible_executions()
    {
        var json = await _client.GetJson($"{Dashboard}/running-agents?hours=999999&limit=5000");
        Assert.That(json.GetProperty("total").GetInt32(), Is.EqualTo(_visible.Count));
        Assert.That(Fids(json.GetProperty("agents")), Is.EquivalentTo(_visible.Select(e => e.Fid)));
    }

    [Test]
    public async Task The_filter_lists_offer_only_what_the_user_can_see()
    {
        var filters = (await _client.GetJson($"{Dashboard}/running-agents?hours=999999&limit=1")).GetProperty("filters");
        Assert.That(filters.GetProperty("users").EnumerateArray().Select(u => u.Str("id")),
            Is.EquivalentTo(_visible.Select(e => e.UserId).Distinct()));
        Assert.That(filters.GetProperty("agent_names").EnumerateArray().Select(a => a.GetString()),
            Is.EquivalentTo(_visible.Select(e => e.AgentName).Distinct()));
        Assert.That(filters.GetProperty("statuses").EnumerateArray().Select(a => a.GetString()),
            Is.EquivalentTo(_visible.Select(e => e.Status).Distinct()));
    }

    [Test]
    public async Task Filtering_by_another_user_finds_nothing_unless_an_operator()
    {
        var other = DemoDataGenerator.Users.First(u => u != _user && Executions.Any(e => e.UserId == u.FolderName));
        var json = await _client.GetJson($"{Dashboard}/running-agents?hours=999999&limit=5000&user={other.FolderName}");
        Assert.That(json.GetProperty("total").GetInt32(), Is.EqualTo(_visible.Count(e => e.UserId == other.FolderName)));
    }

    [Test]
    public async Task Search_finds_only_visible_executions()
    {
        // A search term that matches every execution: a fid's hex digits are all lowercase or digits.
        var json = await _client.GetJson($"{Dashboard}/running-agents?hours=999999&limit=5000&search=-");
        Assert.That(Fids(json.GetProperty("agents")), Is.SubsetOf(_visible.Select(e => e.Fid)));
        Assert.That(json.GetProperty("total").GetInt32(), Is.EqualTo(_visible.Count), "every user id holds a hyphen");
    }

    [Test]
    public async Task Errors_hold_only_visible_executions_errors()
    {
        var expected = _visible.SelectMany(e => e.ErrorEvents.Select(x => (e.Fid, x.Timestamp))).OrderByDescending(x => x.Timestamp).ToList();
        var json = await _client.GetJson($"{Dashboard}/errors?hours=999999&limit=5000");
        Assert.That(json.GetProperty("total").GetInt32(), Is.EqualTo(expected.Count));
        Assert.That(Fids(json.GetProperty("errors")), Is.EqualTo(expected.Select(x => x.Fid)));
    }

    [Test]
    public async Task Timeline_holds_only_visible_executions()
    {
        var json = await _client.GetJson($"{Dashboard}/timeline?hours=999999&limit=50000");
        Assert.That(json.GetProperty("total").GetInt32(), Is.EqualTo(_visible.Count));
        Assert.That(Fids(json.GetProperty("executions")), Is.EquivalentTo(_visible.Select(e => e.Fid)));
        Assert.That(json.GetProperty("buckets").EnumerateArray().Sum(b => b.GetProperty("total").GetInt32()), Is.EqualTo(_visible.Count));
    }

    [Test]
    public async Task Agent_stats_count_only_visible_executions()
    {
        var json = await _client.GetJson($"{Dashboard}/agent-stats");
        var runtimes = _visible.Where(e => e.HasMeasuredRuntime).Select(e => e.Runtime!.Value).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(json.GetProperty("total_executions").GetInt32(), Is.EqualTo(_visible.Count));
            Assert.That(json.GetProperty("by_user").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32()),
                Is.EquivalentTo(_visible.CountBy(e => e.UserId)));
            Assert.That(json.GetProperty("by_status").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32()),
                Is.EquivalentTo(_visible.CountBy(e => e.Status)));
            Assert.That(json.GetProperty("by_agent").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32()),
                Is.EquivalentTo(_visible.CountBy(e => e.AgentName)));
            Assert.That(json.GetProperty("avg_runtime").GetDouble(), Is.EqualTo(runtimes.Average()).Within(1e-6));
            Assert.That(json.GetProperty("error_rate").GetDouble(),
                Is.EqualTo((double)_visible.Count(e => e.HasErrorText) / _visible.Count).Within(1e-9));
        });
    }

    [Test]
    public async Task Details_and_files_answer_for_every_visible_execution()
    {
        foreach (var e in _visible.Take(25))
        {
            var details = await _client.GetJson($"{Dashboard}/execution/{e.Fid}/details?limit=1");
            Assert.That(details.GetProperty("metadata").Str("fid"), Is.EqualTo(e.Fid));
            var files = await _client.GetJson($"{Dashboard}/execution/{e.Fid}/files");
            Assert.That(files.GetProperty("upload_count").GetInt32(), Is.EqualTo(e.Uploads));
        }
    }

    [TestCase("details")]
    [TestCase("files")]
    public async Task Another_users_fid_answers_exactly_like_an_unknown_fid(string what)
    {
        var unknown = await _client.GetAsync($"{Dashboard}/execution/ffffffffffffffffffffffff/{what}");
        var unknownBody = await unknown.Content.ReadAsStringAsync();
        Assert.That(unknown.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        foreach (var e in _hidden)
        {
            var response = await _client.GetAsync($"{Dashboard}/execution/{e.Fid}/{what}");
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NotFound), e.Fid);
            Assert.That(await response.Content.ReadAsStringAsync(), Is.EqualTo(unknownBody), e.Fid);
            Assert.That(response.Content.Headers.ContentType?.ToString(), Is.EqualTo(unknown.Content.Headers.ContentType?.ToString()));
        }
    }

    [Test]
    public async Task Files_download_for_the_owner_and_operators_only()
    {
        foreach (var e in Executions.Where(x => x.Uploads > 0 || x.Downloads > 0))
        {
            var dir = Path.Combine(Host.ExecutionRoot, e.UserId, e.Fid);
            var folder = e.Uploads > 0 ? "in" : "out";
            var file = Directory.GetFiles(Path.Combine(dir, folder), "*", SearchOption.AllDirectories)[0];
            var relative = Path.GetRelativePath(Path.Combine(dir, folder), file).Replace('\\', '/');
            var url = $"{Dashboard}/execution/{e.Fid}/files/{folder}/{string.Join('/', relative.Split('/').Select(Uri.EscapeDataString))}";
            var response = await _client.GetAsync(url);
            if (_visible.Contains(e))
                Assert.That(await response.Content.ReadAsByteArrayAsync(), Is.EqualTo(await File.ReadAllBytesAsync(file)), url);
            else
                Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NotFound), url);
        }
    }
}
