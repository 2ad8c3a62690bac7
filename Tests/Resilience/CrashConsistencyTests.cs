using System.Diagnostics;
using Kodosumi.Shared.Demo;
using Kodosumi.TestSupport;
using Kodosumi.Tests.Support;

namespace Kodosumi.Tests.Resilience;

/// <summary>
/// SIGKILL at random moments, during the cold index and during live writes by separate writer processes,
/// restarting each time: the index never holds a summary ahead of or behind its own cursor, and in the end it
/// equals the recount, nothing lost and nothing counted twice.
/// </summary>
[Category("Resilience")]
public class CrashConsistencyTests
{
    const int Kills = 50;

    [Test]
    public async Task Killed_fifty_times_during_indexing_and_live_writes_the_index_still_equals_the_recount()
    {
        using var folders = ServiceFolders.Create("kodo-crash");
        var (dataDir, indexDir) = folders;
        var indexPath = Path.Combine(indexDir, "index.db");
        var root = Path.Combine(dataDir, "execution");
        var random = new Random(20261124);
        new DemoDataGenerator(new DemoOptions { Executions = 1500, Seed = 11, LargeResultEvery = 300 }).Generate(dataDir);
        var clock = Stopwatch.StartNew();
        var killedWhileUnready = 0;
        LiveWriters? writers = null;
        try
        {
            for (var kill = 1; kill <= Kills; kill++)
            {
                // The first kills land in the cold index; from the tenth on, Kodosumi is writing too.
                if (kill == 10) writers = LiveWriters.Start(root, writers: 3, seed: 7, pause: TimeSpan.FromMilliseconds(15));
                using var service = ServiceUnderTest.Start(dataDir, indexPath);
                await Task.Delay(TimeSpan.FromMilliseconds(random.Next(300, 2500)));
                Assert.That(service.HasExited, Is.False, $"kill {kill}: the service ended by itself:\n{string.Join('\n', service.Output.TakeLast(30))}");
                if (!await IsReady(service)) killedWhileUnready++;
                service.Kill();
                // Now and then a user deletes an execution while the service is down.
                if (kill % 10 == 5) DeleteOne(root, random);
                ServiceUnderTest.AssertStoredIndexIsConsistent(indexPath, root, random, sample: 60);
            }
        }
        finally
        {
            if (writers is not null) await writers.DisposeAsync();
        }
        TestContext.Out.WriteLine($"{Kills} kills in {clock.Elapsed.TotalSeconds:F0} s, {killedWhileUnready} before the first scan was done; " +
            $"writers made {writers?.Executions} executions, {writers?.Events} events");
        Assert.That(killedWhileUnready, Is.GreaterThan(0), "some kills landed in the cold index");
        Assert.That(writers!.Events, Is.GreaterThan(0));

        // Every writer has closed its database: the first full scan after this start must see it all.
        using var last = await ServiceUnderTest.StartReadyAsync(dataDir, indexPath, rescan: TimeSpan.FromMinutes(10));
        await ServiceUnderTest.AssertIndexEqualsRecount(last.Client, root);
    }

    static async Task<bool> IsReady(ServiceProcess service)
    {
        try
        {
            using var response = await service.Client.GetAsync("/health/ready");
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false; // not listening yet
        }
    }

    static void DeleteOne(string root, Random random)
    {
        var executions = Directory.GetDirectories(root).SelectMany(Directory.GetDirectories).Order(StringComparer.Ordinal).ToList();
        // Only finished ones (no -wal): a live writer's folder is not deleted under it.
        var finished = executions.Where(e => !File.Exists(Path.Combine(e, "sqlite3.db-wal"))).ToList();
        Directory.Delete(finished[random.Next(finished.Count)], recursive: true);
    }
}
