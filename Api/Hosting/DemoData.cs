using System.Globalization;
using Kodosumi.Indexer;
using Kodosumi.Shared.Demo;

namespace Kodosumi.Api.Hosting;

/// <summary>The <c>--demo</c> switch and the <c>generate</c> command, both backed by the project's generator.</summary>
public static class DemoData
{
    public const string DemoSwitch = "--demo";

    /// <summary>
    /// <c>generate [--data DIR] [--executions N] [--seed N]</c>: writes a Kodosumi data directory and exits.
    /// Returns false when the arguments are not this command.
    /// </summary>
    public static bool TryRunGenerateCommand(string[] args)
    {
        if (args is not ["generate", ..]) return false;
        string Arg(string name, string fallback)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
        }
        var dataDir = Arg("--data", "./data");
        var options = new DemoOptions
        {
            Executions = int.Parse(Arg("--executions", "400"), CultureInfo.InvariantCulture),
            Seed = int.Parse(Arg("--seed", "42"), CultureInfo.InvariantCulture),
        };
        var fids = new DemoDataGenerator(options).Generate(dataDir);
        Console.WriteLine($"Wrote {fids.Count} executions and {DemoDataGenerator.Users.Count} users to {Path.GetFullPath(dataDir)}");
        return true;
    }

    /// <summary>With <c>--demo</c>, fills an empty data directory with generated executions before the host starts.</summary>
    public static void PrepareIfRequested(WebApplicationBuilder builder, bool demo)
    {
        if (!demo) return;
        var options = new IndexerOptions();
        builder.Configuration.GetSection(IndexerOptions.Section).Bind(options);
        options.ExecDir ??= builder.Configuration["KODO_EXEC_DIR"];
        var root = options.ExecutionRoot;
        if (Directory.Exists(root) && Directory.EnumerateFileSystemEntries(root).Any())
        {
            Console.WriteLine($"Demo: {root} already holds executions; serving them as they are.");
            return;
        }
        var fids = new DemoDataGenerator(new DemoOptions()).Generate(options.DataDir);
        Console.WriteLine($"Demo: generated {fids.Count} executions in {Path.GetFullPath(options.DataDir)} (users admin/admin, alice/alice, bob/bob, carol/carol).");
    }
}
