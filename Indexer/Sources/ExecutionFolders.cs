using System.IO.Enumeration;
using Kodosumi.Shared;

namespace Kodosumi.Indexer.Sources;

/// <summary>An execution folder: <c>{root}/{user_id}/{fid}</c>.</summary>
public sealed record ExecutionFolder(string UserId, string Fid, string Path);

/// <summary>A file under an execution's <c>in/</c> or <c>out/</c>, relative to that folder.</summary>
public sealed record ExecutionFile(string Name, string RelativePath, long Size);

/// <summary>Walks the execution tree and reads what can be read without opening a database.</summary>
public static class ExecutionFolders
{
    /// <summary>Every execution folder under the root; a missing root is an empty tree.</summary>
    public static IEnumerable<ExecutionFolder> Enumerate(string root)
    {
        if (!Directory.Exists(root)) yield break;
        foreach (var userDir in SafeDirectories(root))
        {
            var user = System.IO.Path.GetFileName(userDir);
            if (ExecutionLayout.IsHidden(user)) continue;
            foreach (var execDir in SafeDirectories(userDir))
            {
                var fid = System.IO.Path.GetFileName(execDir);
                if (!ExecutionLayout.IsHidden(fid)) yield return new ExecutionFolder(user, fid, execDir);
            }
        }
    }

    /// <summary>True for a path inside a hidden user or execution folder (Kodosumi's temporary ones): never an execution.</summary>
    public static bool IsInHiddenFolder(string root, string changedPath) =>
        NamesBelow(root, changedPath) is { } names && names.Take(2).Any(ExecutionLayout.IsHidden);

    /// <summary>Resolves a changed path to the execution it belongs to, or null if it is above one.</summary>
    public static ExecutionFolder? FromChangedPath(string root, string changedPath) =>
        NamesBelow(root, changedPath) is [var user, var fid, ..] && !ExecutionLayout.IsHidden(user) && !ExecutionLayout.IsHidden(fid)
            ? new ExecutionFolder(user, fid, System.IO.Path.Combine(root, user, fid))
            : null;

    /// <summary>The user folder, the execution folder and the rest of a path below the root; null when it is not below it.</summary>
    static string[]? NamesBelow(string root, string path)
    {
        var relative = System.IO.Path.GetRelativePath(root, path);
        if (relative == "." || relative.StartsWith("..", StringComparison.Ordinal) || System.IO.Path.IsPathRooted(relative)) return null;
        return relative.Split(System.IO.Path.DirectorySeparatorChar, 3);
    }

    /// <summary>
    /// One look at an execution folder: a single listing of it gives which database it has and the
    /// stamp of its files (one stat per entry of interest, instead of a path lookup per question).
    /// Null when the folder is gone.
    /// </summary>
    public static FolderLook? Look(string executionDir)
    {
        var look = new FolderLook { Path = executionDir };
        try
        {
            var entries = new FileSystemEnumerable<bool>(executionDir, Visit, NoRecursion)
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

    static readonly EnumerationOptions AllFiles = new()
    {
        RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.ReparsePoint,
    };

    /// <summary>How many regular files are under <paramref name="dir"/>, as <see cref="ListFiles"/> would list them.</summary>
    public static int CountFiles(string dir)
    {
        try
        {
            return Directory.Exists(dir) ? Directory.EnumerateFiles(dir, "*", AllFiles).Count() : 0;
        }
        catch (DirectoryNotFoundException)
        {
            return 0;
        }
    }

    /// <summary>Regular files under <paramref name="dir"/>, sub-folders included, symbolic links not followed.</summary>
    public static IEnumerable<ExecutionFile> ListFiles(string dir)
    {
        if (!Directory.Exists(dir)) return [];
        try
        {
            return new DirectoryInfo(dir).EnumerateFiles("*", AllFiles)
                .Select(f => new ExecutionFile(f.Name, System.IO.Path.GetRelativePath(dir, f.FullName).Replace('\\', '/'), f.Length))
                .OrderBy(f => f.RelativePath, StringComparer.Ordinal)
                .ToList();
        }
        catch (DirectoryNotFoundException)
        {
            return [];
        }
    }

    static IEnumerable<string> SafeDirectories(string dir)
    {
        try
        {
            return Directory.EnumerateDirectories(dir).ToList();
        }
        catch (Exception e) when (e is DirectoryNotFoundException or UnauthorizedAccessException or IOException)
        {
            return [];
        }
    }
}
