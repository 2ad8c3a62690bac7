using System.Diagnostics;
using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Configurations;
using Kodosumi.Tests.Support;

namespace Kodosumi.Tests.Container;

/// <summary>
/// Builds the image once for every test in this namespace, from a clean export of the commit checked out
/// (<c>git archive HEAD</c>), as a fresh clone would: a file that is only in the work tree (built, vendored,
/// ignored) cannot make it pass. Without a Docker daemon the tests are skipped, except on CI (CI=true),
/// where that is a failure.
/// </summary>
[SetUpFixture]
public sealed class ContainerImage
{
    public const string Name = "kodosumi-indexer:container-tests";

    /// <summary>Build arguments as <c>KEY=VALUE</c> separated by spaces; .ci/prepare-docker.sh points them at local base images.</summary>
    public const string BuildArgsVariable = "KODOSUMI_DOCKER_BUILD_ARGS";

    static string? _skipReason;
    static bool _built;

    /// <summary><c>Version</c> in Directory.Build.props: the one the image is built with and must report.</summary>
    public static string Version => RepositoryFiles.Version;

    /// <summary>Call first in every fixture of this namespace.</summary>
    public static void RequireDocker()
    {
        if (_skipReason is not null) Assert.Ignore(_skipReason);
        if (!_built) Assert.Fail("the image was not built");
    }

    [OneTimeSetUp]
    public async Task BuildImage()
    {
        if (TestcontainersSettings.OS.DockerEndpointAuthConfig is null)
        {
            const string reason = "no Docker daemon is reachable";
            if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
                Assert.Fail($"{reason}, and CI=true requires the container tests to run");
            _skipReason = reason;
            return;
        }

        var context = ExportHead();
        try
        {
            var builder = new ImageFromDockerfileBuilder()
                .WithDockerfileDirectory(new CommonDirectoryPath(context), string.Empty)
                .WithDockerfile("Dockerfile")
                .WithName(Name)
                .WithBuildArgument("VERSION", Version)
                // Keep the image and its layers: the next run then rebuilds only what changed.
                .WithDeleteIfExists(false)
                .WithCleanUp(false);
            var buildArgs = Environment.GetEnvironmentVariable(BuildArgsVariable) ?? "";
            foreach (var pair in buildArgs.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
            {
                var (key, value) = pair.Split('=', 2) is [var k, var v] ? (k, v) : throw new FormatException($"{BuildArgsVariable}: '{pair}' is not KEY=VALUE");
                builder = builder.WithBuildArgument(key, value);
            }
            // Not disposed: that could delete the image, which the next run builds on.
            var image = builder.Build();
            await image.CreateAsync();
            _built = true;
        }
        finally
        {
            Directory.Delete(context, recursive: true);
        }
    }

    /// <summary>The built image's labels, as <c>docker image inspect</c> shows them.</summary>
    public static async Task<Dictionary<string, string>> LabelsAsync()
    {
        var start = new ProcessStartInfo("docker", ["image", "inspect", "--format", "{{json .Config.Labels}}", Name])
            { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start) ?? throw new InvalidOperationException("docker did not start");
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0) throw new InvalidOperationException($"docker image inspect: {await process.StandardError.ReadToEndAsync()}");
        return System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, string>>(output) ?? [];
    }

    /// <summary>The committed files of HEAD in a new temp folder, nothing else.</summary>
    static string ExportHead()
    {
        var repository = RepositoryFiles.Root;
        var target = Directory.CreateTempSubdirectory("kodosumi-image-context-").FullName;
        var archive = Path.Combine(target, "..", Path.GetFileName(target) + ".tar");
        try
        {
            Run("git", repository, "archive", "--format=tar", "-o", archive, "HEAD");
            Run("tar", target, "-xf", archive);
        }
        finally
        {
            File.Delete(archive);
        }
        return target;
    }

    static void Run(string program, string workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo(program, args) { WorkingDirectory = workingDirectory, RedirectStandardError = true };
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{program} did not start");
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{program} {string.Join(' ', args)}: exit {process.ExitCode}: {error}");
    }
}
