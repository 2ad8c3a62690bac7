using Kodosumi.Indexer.Worker;

namespace Kodosumi.Tests.Worker;

public class BackgroundThreadTests
{
    /// <summary>The nice value of the calling thread, field 19 of /proc/thread-self/stat.</summary>
    static int NiceOfThisThread()
    {
        var stat = File.ReadAllText("/proc/thread-self/stat");
        // The command name (field 2) is in parentheses and may hold spaces: count from after it.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return int.Parse(fields[19 - 3]);
    }

    [Test]
    public void Lowering_a_thread_s_priority_sets_its_own_nice_value_and_no_other_thread_s()
    {
        Assume.That(OperatingSystem.IsLinux(), "nice values per thread are Linux's");
        var before = NiceOfThisThread();
        var lowered = 0;
        var thread = new Thread(() =>
        {
            BackgroundThread.LowerPriority();
            lowered = NiceOfThisThread();
        });
        thread.Start();
        thread.Join();
        Assert.That(lowered, Is.EqualTo(10));
        Assert.That(NiceOfThisThread(), Is.EqualTo(before), "the calling thread of the test keeps its priority");
    }
}
