namespace Kodosumi.Indexer.Store;

/// <summary>
/// The index's data file and LiteDB's log beside it (named as LiteDB names it), opened here and handed
/// to LiteDB as streams. Opened by file name, LiteDB forces its writes to disk (fsync) each time its
/// writer queue runs empty, which is many times per commit and made the cold index disk-bound. Through
/// streams a commit reaches the operating system before the catalog shows it, which survives a crash of
/// the process; a power loss can lose the last commits or damage the file, and the index is derived
/// data: at start a damaged file is rebuilt and lost commits are folded again from older cursors.
/// </summary>
public sealed class IndexFiles : IDisposable
{
    public required FileStream Data { get; init; }
    public required FileStream Log { get; init; }

    public static string LogPathOf(string path) => Path.ChangeExtension(path, null) + "-log" + Path.GetExtension(path);

    public static IndexFiles Open(string path)
    {
        var data = OpenFile(path);
        try
        {
            return new IndexFiles { Data = data, Log = OpenFile(LogPathOf(path)) };
        }
        catch
        {
            data.Dispose();
            throw;
        }
    }

    /// <summary>Others may read the files (a backup), nobody else may write them.</summary>
    static FileStream OpenFile(string path) =>
        new(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, bufferSize: 8192, FileOptions.RandomAccess);

    public void Dispose()
    {
        Data.Dispose();
        Log.Dispose();
    }
}
