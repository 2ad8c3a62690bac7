using Kodosumi.Indexer.Platform;
using Kodosumi.Indexer.Worker;

namespace Kodosumi.Tests.Support;

/// <summary>A watcher that is open and healthy but never hears a change: whatever is found, a rescan found.</summary>
internal sealed class DeafWatchers : WatcherFactory
{
    public override Inotify Open() => new Deaf();

    sealed class Deaf : Inotify
    {
        protected override void OnChanged(string path, uint mask) { }
    }
}
