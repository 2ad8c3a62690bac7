using System.Text.RegularExpressions;

namespace Kodosumi.Tests.Support;

/// <summary>The repository the tests run from, and the version its Directory.Build.props sets.</summary>
public static partial class RepositoryFiles
{
    public static string Root { get; } = FindRoot();

    /// <summary><c>Version</c> in Directory.Build.props: the one every build and the image must report.</summary>
    public static string Version { get; } = ReadVersion();

    public static string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "KodosumiIndexer.sln"))) return dir.FullName;
        throw new InvalidOperationException("KodosumiIndexer.sln not found above " + AppContext.BaseDirectory);
    }

    static string ReadVersion() =>
        VersionElement().Match(File.ReadAllText(PathOf("Directory.Build.props"))) is { Success: true } match
            ? match.Groups[1].Value
            : throw new InvalidOperationException("Directory.Build.props has no <Version>");

    [GeneratedRegex("<Version>([^<]+)</Version>")]
    private static partial Regex VersionElement();
}
