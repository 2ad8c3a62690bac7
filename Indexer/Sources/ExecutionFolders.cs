using System.IO.Enumeration;
using Kodosumi.Indexer.Platform;
using Kodosumi.Shared;
using Kodosumi.Shared.Model;

namespace Kodosumi.Indexer.Sources;

/// <summary>An execution folder: <c>{root}/{user_id}/{fid}</c>.</summary>
internal sealed record ExecutionFolder(string Root, string UserId, string Fid)
{
    /// <summary>Joined when asked for, not kept: an idle rescan never reads it.</summary>
    public string Path => System.IO.Path.Join(Root, UserId, Fid);
}

/// <summary>A file under an execution's <c>in/</c> or <c>out/</c>, relative to that folder.</summary>
public sealed record ExecutionFile(string Name, string RelativePath, long Size);

/// <summary>Kodosumi's paths below the execution root, and what can be read of an execution folder without opening its database.</summary>
internal static class ExecutionFolders
{
    /// <summary>True for a path inside a hidden user or execution folder (Kodosumi's temporary ones): never an execution.</summary>
    public static bool IsInHiddenFolder(string root, string changedPath) =>
        NamesBelow(root, changedPath) is { } names && names.Take(2).Any(ExecutionLayout.IsHidden);

    /// <summary>Resolves a changed path to the execution it belongs to, or null if it is above one.</summary>
    public static ExecutionFolder? FromChangedPath(string root, string changedPath) =>
        NamesBelow(root, changedPath) is [var user, var fid, ..] && !ExecutionLayout.IsHidden(user) && !ExecutionLayout.IsHidden(fid)
            ? new ExecutionFolder(root, user, fid)
            : null;

    /// <summary>The user folder, the execution folder and the rest of a path below the root; null when it is not below it.</summary>
    static string[]? NamesBelow(string root, string path)
    {
        var relative = System.IO.Path.GetRelativePath(root, path);
        if (relative == "." || relative.StartsWith("..", StringComparison.Ordinal) || System.IO.Path.IsPathRooted(relative)) return null;
        return relative.Split(System.IO.Path.DirectorySeparatorChar, 3);
    }

    /// <summary>
    /// One look at an execution folder: which database it has and the stamp of its files. With the stamp of the last
    /// look, a folder whose own time has not moved needs only a stat of each entry that stamp names (what a rescan of
    /// an idle tree does, through <paramref name="stats"/>); otherwise a stat of each name of interest finds the
    /// entries, or, without <paramref name="stats"/> or for an entry of another type, one listing. Null when the
    /// folder is gone.
    /// </summary>
    public static FolderLook? Look(ExecutionFolder folder, SourceStamp? previousStamp = null, RootStats? stats = null)
    {
        var lookedAt = DateTime.UtcNow.Ticks;
        // The folder's time is read before its entries: whatever changes after it moves it for the next look.
        long folderTicks;
        if (stats is not null && stats.TryStat(folder, null, out var self) && self.IsDirectory)
        {
            folderTicks = self.Ticks;
            if (previousStamp is { } stamp && FolderLook.Recheck(folder, stamp, stats, folderTicks, lookedAt) is { } again
                && again.HasStamp(previousStamp))
                return again;
            if (FolderLook.StatEach(folder, stats, folderTicks, lookedAt) is { } full) return full;
        }
        else
        {
            var info = new DirectoryInfo(folder.Path);
            if (!info.Exists) return null;
            folderTicks = info.LastWriteTimeUtc.Ticks;
        }
        return List(folder, folderTicks, lookedAt);
    }

    /// <summary>A look by listing the folder; a method of its own, as the listing's callback captures the look.</summary>
    static FolderLook? List(ExecutionFolder folder, long folderTicks, long lookedAt)
    {
        var look = new FolderLook { Folder = folder, FolderTicks = folderTicks, LookedAtTicks = lookedAt, Full = true };
        try
        {
            var entries = new FileSystemEnumerable<bool>(folder.Path, Visit, NoRecursion)
            {
                ShouldIncludePredicate = (ref FileSystemEntry entry) => FolderLook.SlotOf(entry.FileName) >= 0,
            };
            foreach (var _ in entries) { }
        }
        catch (DirectoryNotFoundException)
        {
            return null;
        }
        return look;

        bool Visit(ref FileSystemEntry entry)
        {
            look.Set(FolderLook.SlotOf(entry.FileName), entry.IsDirectory, entry.Length, entry.LastWriteTimeUtc.UtcTicks);
            return true;
        }
    }

    static readonly EnumerationOptions NoRecursion = new() { AttributesToSkip = 0, IgnoreInaccessible = false };

    /// <summary>How many regular files are under <paramref name="dir"/>, as <see cref="ListFiles"/> would list them.</summary>
    public static int CountFiles(string dir) => RegularFiles.Count(System.IO.Path.GetDirectoryName(dir)!, System.IO.Path.GetFileName(dir));

    /// <summary>Regular files under <paramref name="dir"/> (an execution's <c>in/</c> or <c>out/</c>), as <see cref="RegularFiles"/> reads them.</summary>
    public static IEnumerable<ExecutionFile> ListFiles(string dir) => RegularFiles.List(System.IO.Path.GetDirectoryName(dir)!, System.IO.Path.GetFileName(dir));
}
