using System.Runtime.InteropServices;

namespace Kodosumi.Indexer.Platform;

/// <summary>
/// A rescan's readers run below requests and hinted folds: on two cores a rescan of 100,000 folders kept both busy,
/// and the requests and fresh writes that met it waited. Linux sets the scheduling policy per thread; with idle cores
/// the readers still get all the time they can use.
/// </summary>
static class BackgroundThread
{
    const int SchedIdle = 5;
    const int LowestNice = 19;

    /// <summary>
    /// SCHED_IDLE for the calling thread: a thread of any other policy that wakes takes its core at once. A lower nice
    /// value is not enough on the EEVDF scheduler: a running thread keeps its core for the rest of its slice, and a
    /// request that met a rescan waited 3–10 ms for the CPU even at nice 19. Not starved outright: such a thread has the
    /// smallest weight (3, against 1024 at nice 0), so a rescan still ends on a machine whose cores are always busy.
    /// Where the policy is refused (a sandbox), nice 19.
    /// </summary>
    public static void YieldToOthers()
    {
        if (!OperatingSystem.IsLinux()) return;
        var priority = 0;
        if (sched_setscheduler(gettid(), SchedIdle, ref priority) == 0) return;
        // Only a priority: where even that cannot be set the readers run as before.
        _ = setpriority(0 /* PRIO_PROCESS, with a thread id: that thread */, gettid(), LowestNice);
    }

    [DllImport("libc")]
    static extern int gettid();

    /// <summary><paramref name="priority"/> is <c>struct sched_param</c>: its one field, 0 for SCHED_IDLE.</summary>
    [DllImport("libc")]
    static extern int sched_setscheduler(int pid, int policy, ref int priority);

    [DllImport("libc")]
    static extern int setpriority(int which, int who, int priority);
}
