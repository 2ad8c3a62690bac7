namespace Kodosumi.Tests.Support;

/// <summary>
/// A data folder and an index folder of a test's own, for a service whose index outlives it (a restart, a kill):
/// the one set-up and tear-down of the tests that start the service themselves. Dispose deletes both.
/// </summary>
public sealed class ServiceFolders(string dataDir, string indexDir) : IDisposable
{
    public string DataDir { get; } = dataDir;
    public string IndexDir { get; } = indexDir;

    /// <summary>Folders named after <paramref name="prefix"/>; the index folder gets <c>-index</c>.</summary>
    public static ServiceFolders Create(string prefix) => new(TempDirs.Create(prefix), TempDirs.Create(prefix + "-index"));

    public void Deconstruct(out string dataDir, out string indexDir) => (dataDir, indexDir) = (DataDir, IndexDir);

    public void Dispose()
    {
        TempDirs.Delete(DataDir);
        TempDirs.Delete(IndexDir);
    }
}
