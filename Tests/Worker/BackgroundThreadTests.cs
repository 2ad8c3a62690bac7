using Kodosumi.Indexer.Platform;
using Kodosumi.Indexer.Worker;

namespace Kodosumi.Tests.Worker;

[Category("Unit")]
public class BackgroundThreadTests
{
    /// <summary>The scheduling policy of the calling thread, field 41 of /proc/thread-self/stat (0 normal, 5 SCHED_IDLE).</summary>
    static int PolicyOfThisThread()
    {
        var stat = File.ReadAllText("/proc/thread-self/stat");
        // The command name (field 2) is in parentheses and may hold spaces: count from after it.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return int.Parse(fields[41 - 3]);
    }

    [Test]
    public void A_thread_that_yields_runs_as_sched_idle_and_no_other_thread_does()
    {
        Assume.That(OperatingSystem.IsLinux(), "scheduling policies per thread are Linux's");
        var before = PolicyOfThisThread();
        var policy = -1;
        var thread = new Thread(() =>
        {
            BackgroundThread.YieldToOthers();
            policy = PolicyOfThisThread();
        });
        thread.Start();
        thread.Join();
        Assert.That(policy, Is.EqualTo(5), "SCHED_IDLE");
        Assert.That(PolicyOfThisThread(), Is.EqualTo(before), "the calling thread of the test keeps its policy");
    }
}
