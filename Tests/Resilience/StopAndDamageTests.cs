using System.Diagnostics;
using System.Net;
using Kodosumi.Shared.Demo;
using Kodosumi.Shared.Model;
using Kodosumi.TestSupport;
using Kodosumi.Tests.Support;

namespace Kodosumi.Tests.Resilience;

/// <summary>SIGTERM in the middle of a cold index, and a damaged index file found at start, with the service as its own process.</summary>
[Category("Resilience")]
public class StopAndDamageTests
{
    const int Generated = 3000;
    /// <summary>Each generated execution copied under new fids: a cold index long enough to stop in its middle on a fast machine.</summary>
    const int Copies = 4;
    const int Executions = Generated * Copies;
    string _dataDir = "";
    string _indexDir = "";
    string _indexPath = "";
    string Root => Path.Combine(_dataDir, "execution");

    [OneTimeSetUp]
    public void Generate()
    {
        _dataDir = TempDirs.Create("kodo-stop");
        new DemoDataGenerator(new DemoOptions { Executions = Generated, Seed = 13, LargeResultEvery = 1000 }).Generate(_dataDir);
        var random = new Random(13);
        foreach (var execution in Directory.GetDirectories(Root).SelectMany(Directory.GetDirectories).ToList())
            for (var copy = 1; copy < Copies; copy++)
                CopyFolder(execution, Path.Combine(Path.GetDirectoryName(execution)!, Kodosumi.Shared.Fids.New(DateTimeOffset.UtcNow, random)));
    }

    static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        foreach (var dir in Directory.GetDirectories(from)) CopyFolder(dir, Path.Combine(to, Path.GetFileName(dir)));
    }

    [OneTimeTearDown]
    public void Delete() => TempDirs.Delete(_dataDir);

    [SetUp]
    public void NewIndex()
    {
        _indexDir = TempDirs.Create("kodo-stop-index");
        _indexPath = Path.Combine(_indexDir, "index.db");
    }

    [TearDown]
    public void DeleteIndex() => TempDirs.Delete(_indexDir);

    [Test]
    public async Task Sigterm_during_the_cold_index_commits_checkpoints_and_exits_within_10_s_and_the_next_start_folds_nothing_twice()
    {
        long foldedBeforeStop;
        // One reader: the pass commits about once a second, so the first commit comes long before the last.
        using (var service = ServiceUnderTest.Start(_dataDir, _indexPath, settings: new Dictionary<string, string> { ["Indexer:ReadParallelism"] = "1" }))
        {
            // Stop once batches are being committed, well before the scan ends.
            foldedBeforeStop = await Until(service, folded => folded > 0);
            var took = service.Terminate(TimeSpan.FromSeconds(10));
            Assert.That(took, Is.Not.Null, "exited within 10 s of SIGTERM");
            TestContext.Out.WriteLine($"exited {took!.Value.TotalMilliseconds:F0} ms after SIGTERM with {service.ExitCode}; {foldedBeforeStop} folded when it was sent");
            Assert.That(service.ExitCode, Is.EqualTo(0), string.Join('\n', service.Output.TakeLast(20)));
        }

        // Checkpointed: everything is in the data file, the log is empty or gone.
        var log = Path.Combine(_indexDir, "index-log.db");
        Assert.That(!File.Exists(log) || new FileInfo(log).Length == 0, $"the LiteDB log was checkpointed ({(File.Exists(log) ? new FileInfo(log).Length : 0)} bytes left)");
        var (stored, racy) = StoredExecutions();
        Assert.That(stored, Is.GreaterThanOrEqualTo(foldedBeforeStop).And.LessThan(Executions), "stopped in the middle, with what was folded committed");
        ServiceUnderTest.AssertStoredIndexIsConsistent(_indexPath, Root, new Random(1), sample: 200);

        using var again = await ServiceUnderTest.StartReadyAsync(_dataDir, _indexPath, rescan: TimeSpan.FromMinutes(10));
        var data = ServiceUnderTest.HealthData(await ServiceUnderTest.Health(again));
        // A WAL written within the racy window of its look (a recount by an earlier test opens every database, which
        // leaves an empty WAL) may have lacked a commit being published: that execution is read again, as it must be.
        TestContext.Out.WriteLine($"{stored} stored, {racy} of them with a WAL not settled when looked at");
        Assert.That(data.GetProperty("folded_since_start").GetInt64(), Is.EqualTo(Executions - stored + racy),
            "only what was not committed before the stop, and what was stored from a racy look, is folded");
        await ServiceUnderTest.AssertIndexEqualsRecount(again.Client, Root);
    }

    [Test]
    public async Task A_damaged_index_is_rebuilt_while_health_says_rebuilding_and_the_api_answers_503_without_a_crash_loop()
    {
        using (var first = await ServiceUnderTest.StartReadyAsync(_dataDir, _indexPath))
            Assert.That(first.Terminate(TimeSpan.FromSeconds(10)), Is.Not.Null);
        var bytes = await File.ReadAllBytesAsync(_indexPath);
        new Random(3).NextBytes(bytes);
        await File.WriteAllBytesAsync(_indexPath, bytes);

        using var service = ServiceUnderTest.Start(_dataDir, _indexPath);
        string? sawRebuilding = null;
        var apiAnswers = new List<HttpStatusCode>();
        var clock = Stopwatch.StartNew();
        var signedIn = false;
        while (true)
        {
            Assert.That(service.HasExited, Is.False, $"the service ended while rebuilding:\n{string.Join('\n', service.Output.TakeLast(30))}");
            Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(120)), "never became ready");
            HttpResponseMessage health;
            try { health = await service.Client.GetAsync("/health/ready"); }
            catch (HttpRequestException) { await Task.Delay(50); continue; }
            using (health)
            {
                if (health.StatusCode == HttpStatusCode.OK) break;
                Assert.That(health.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
                var body = await health.Content.ReadAsStringAsync();
                if (body.Contains("rebuilding: the index file was damaged", StringComparison.Ordinal)) sawRebuilding = body;
            }
            // Signing in needs only admin.db, not the index.
            if (!signedIn) await service.SignInAsync("admin", "admin");
            signedIn = true;
            using var api = await service.Client.GetAsync("/api/dashboard/agent-stats");
            // The service may have become ready between the two requests; an answer counts only while it still is not.
            using (var after = await service.Client.GetAsync("/health/ready"))
                if (after.StatusCode == HttpStatusCode.OK) break;
            apiAnswers.Add(api.StatusCode);
            await Task.Delay(50);
        }
        Assert.That(sawRebuilding, Is.Not.Null, "/health/ready said rebuilding while it rebuilt");
        Assert.That(apiAnswers, Is.Not.Empty.And.All.EqualTo(HttpStatusCode.ServiceUnavailable), "no numbers from a half-built index");
        Assert.That(Directory.GetFiles(_indexDir, "index.db.broken-*"), Is.Not.Empty, "the damaged file is kept aside");

        var data = ServiceUnderTest.HealthData(await ServiceUnderTest.Health(service));
        Assert.That(data.GetProperty("folded_since_start").GetInt64(), Is.EqualTo(Executions), "rebuilt from the execution databases");
        await ServiceUnderTest.AssertIndexEqualsRecount(service.Client, Root);
    }

    /// <summary>Polls the health data's folded count (present before ready too) until it satisfies the condition.</summary>
    static async Task<long> Until(ServiceProcess service, Func<long, bool> condition)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            try
            {
                var folded = ServiceUnderTest.HealthData(await ServiceUnderTest.Health(service)).GetProperty("folded_since_start").GetInt64();
                if (condition(folded)) return folded;
            }
            catch (HttpRequestException) { }
            await Task.Delay(10);
        }
        throw new AssertionException("indexing never started");
    }

    /// <summary>The executions the index holds, and how many of them were stored from a look at a WAL not settled yet.</summary>
    (long Stored, long Racy) StoredExecutions()
    {
        var copy = TempDirs.Create("kodo-stop-copy");
        try
        {
            File.Copy(_indexPath, Path.Combine(copy, "index.db"));
            using var db = new LiteDB.LiteDatabase(Path.Combine(copy, "index.db"));
            var stamps = db.GetCollection("executions").Query().Select("{ s: $.SourceStamp }").ToList();
            return (stamps.Count, stamps.Count(s => SourceStamp.Parse(s["s"].AsString)?.WalUnsettled == true));
        }
        finally
        {
            TempDirs.Delete(copy);
        }
    }
}
