namespace Kodosumi.Api.Features.Dashboard.Files;

/// <summary>Resolves a requested path inside one folder, refusing anything that could lead out of it.</summary>
public static class SafeFiles
{
    /// <summary>
    /// The regular file at <paramref name="relativePath"/> under <paramref name="baseDir"/>, or null if the
    /// path is absolute, climbs out, names no regular file, or passes through a symbolic link.
    /// </summary>
    public static FileInfo? Resolve(string baseDir, string relativePath)
    {
        if (string.IsNullOrEmpty(relativePath) || relativePath.Contains('\0') || relativePath.Contains('\\')) return null;
        var parts = relativePath.Split('/');
        if (parts.Any(p => p is "" or "." or "..")) return null;
        var current = Path.GetFullPath(baseDir);
        if (IsLink(current)) return null;
        foreach (var part in parts)
        {
            current = Path.Combine(current, part);
            if (IsLink(current)) return null;
        }
        var file = new FileInfo(current);
        var root = Path.GetFullPath(baseDir) + Path.DirectorySeparatorChar;
        return file.Exists && file.FullName.StartsWith(root, StringComparison.Ordinal) ? file : null;
    }

    /// <summary>True for a symbolic link to anything, a file or a folder; false for a missing path.</summary>
    static bool IsLink(string path) => new FileInfo(path).LinkTarget is not null;
}
