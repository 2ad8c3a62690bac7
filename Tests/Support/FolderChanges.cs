using Kodosumi.Indexer.Worker;

namespace Kodosumi.Tests.Support;

/// <summary>A watcher's listener that hands each changed path, and each loss, to the test.</summary>
sealed class FolderChanges(Action<string> changed, Action lost) : IFolderChanges
{
    public void Changed(string path) => changed(path);
    public void Lost() => lost();
}
