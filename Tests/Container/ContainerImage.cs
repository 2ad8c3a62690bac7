using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Configurations;

namespace Kodosumi.Tests.Container;

/// <summary>
/// Builds the image from the project's own Dockerfile once for every test in this namespace. Without a
/// Docker daemon the tests are skipped, except on CI (CI=true), where that is a failure.
/// </summary>
[SetUpFixture]
public sealed class ContainerImage
{
    public const string Name = "kodosumi-indexer:container-tests";

    /// <summary>Build arguments as <c>KEY=VALUE</c> separated by spaces; .ci/prepare-docker.sh points them at local base images.</summary>
    public const string BuildArgsVariable = "KODOSUMI_DOCKER_BUILD_ARGS";

    static string? _skipReason;
    static bool _built;

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

        var builder = new ImageFromDockerfileBuilder()
            .WithDockerfileDirectory(CommonDirectoryPath.GetSolutionDirectory(), string.Empty)
            .WithDockerfile("Dockerfile")
            .WithName(Name)
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
}
