using Kodosumi.Indexer.Platform;
using Kodosumi.Indexer.Sources;

namespace Kodosumi.Api.Features.Dashboard.Files;

/// <summary>Resolves a requested path inside one folder, refusing anything that could lead out of it.</summary>
public static class SafeFiles
{
    /// <summary>
    /// The regular file at <paramref name="relativePath"/> under <c>{executionDir}/{folder}</c>, opened; null if the
    /// path is absolute, climbs out, names no regular file of one link, or passes through a symbolic link.
    /// </summary>
    public static OpenedFile? Open(string executionDir, string folder, string relativePath)
    {
        if (string.IsNullOrEmpty(relativePath) || relativePath.Contains('\0') || relativePath.Contains('\\')) return null;
        return RegularFiles.OpenRead(executionDir, folder, relativePath);
    }
}
