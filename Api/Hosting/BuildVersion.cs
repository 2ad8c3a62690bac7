using System.Reflection;

namespace Kodosumi.Api.Hosting;

/// <summary>The version this build was made with (<c>Version</c> in Directory.Build.props), and the <c>--version</c> command.</summary>
public static class BuildVersion
{
    public const string Command = "--version";

    public static string Value { get; } = Read();

    static string Read()
    {
        var informational = typeof(BuildVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        // A build metadata suffix (+commit) is not part of the version people compare.
        return informational?.Split('+')[0] ?? typeof(BuildVersion).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
    }

    /// <summary><c>--version</c>: prints the version and returns true; false when the arguments are not this command.</summary>
    public static bool TryRunCommand(string[] args)
    {
        if (args is not [Command]) return false;
        Console.WriteLine(Value);
        return true;
    }
}
