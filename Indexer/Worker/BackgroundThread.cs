using System.Runtime.InteropServices;

namespace Kodosumi.Indexer.Worker;

/// <summary>
/// A rescan's readers run at a lower scheduling priority than requests and hinted folds: on two cores a rescan of
/// 100,000 folders kept both busy for a second and more, and the requests and fresh writes that met it waited.
/// Linux sets a nice value per thread; with idle cores the readers still get all the time they can use.
/// </summary>
static class BackgroundThread
{
    /// <summary>Nice 10: under contention such a thread gets about a tenth of the time of a normal one.</summary>
    const int Nice = 10;

    public static void LowerPriority()
    {
        if (!OperatingSystem.IsLinux()) return;
        // Only a priority: where it cannot be set (a sandbox forbids it) the readers run as before.
        _ = setpriority(0 /* PRIO_PROCESS, with a thread id: that thread */, gettid(), Nice);
    }

    [DllImport("libc")]
    static extern int gettid();

    [DllImport("libc")]
    static extern int setpriority(int which, int who, int priority);
}
