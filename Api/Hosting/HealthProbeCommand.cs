namespace Kodosumi.Api.Hosting;

/// <summary>
/// <c>healthcheck [URL]</c>: GETs <c>/health/ready</c> and exits 0 when it answers with success, else 1.
/// The image's HEALTHCHECK runs it, so the image needs no curl.
/// </summary>
public static class HealthProbeCommand
{
    public const string Name = "healthcheck";

    /// <summary>Returns false when the arguments are not this command; otherwise runs it and sets the exit code.</summary>
    public static bool TryRun(string[] args)
    {
        if (args is not [Name, ..]) return false;
        var url = args.Length > 1 ? args[1] : ReadyUrl(Environment.GetEnvironmentVariable("ASPNETCORE_URLS"));
        try
        {
            // A proxy set in the environment must not stand between the probe and its own container.
            using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(5) };
            using var response = client.GetAsync(url).GetAwaiter().GetResult();
            Console.WriteLine($"{url}: {(int)response.StatusCode}");
            Environment.ExitCode = response.IsSuccessStatusCode ? 0 : 1;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or InvalidOperationException or UriFormatException)
        {
            Console.WriteLine($"{url}: {e.Message}");
            Environment.ExitCode = 1;
        }
        return true;
    }

    /// <summary>The first of the server's URLs with its wildcard host made local, so a changed port is followed.</summary>
    public static string ReadyUrl(string? urls)
    {
        var first = urls?.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();
        if (string.IsNullOrEmpty(first)) first = ApiExtensions.DefaultUrl;
        var local = first.Replace("://+", "://localhost").Replace("://*", "://localhost")
            .Replace("://0.0.0.0", "://localhost").Replace("://[::]", "://localhost");
        return local.TrimEnd('/') + "/health/ready";
    }
}
