namespace Kodosumi.Api.Hosting;

/// <summary>
/// The content root (appsettings.json, Pages/): the application's own folder, not the working directory, so the
/// service finds its files wherever it is started from (a systemd unit, <c>dotnet /opt/.../Kodosumi.Api.dll</c>).
/// A content root given explicitly (<c>--contentRoot</c>, <c>ASPNETCORE_CONTENTROOT</c>, <c>DOTNET_CONTENTROOT</c>) still wins.
/// </summary>
public static class ContentRoot
{
    /// <summary>The application's folder, or null to let the host read the one given explicitly.</summary>
    public static string? Default(IEnumerable<string> args)
    {
        var given = args.Any(a => a.TrimStart('-', '/').StartsWith("contentRoot", StringComparison.OrdinalIgnoreCase))
            || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("ASPNETCORE_CONTENTROOT"))
            || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("DOTNET_CONTENTROOT"));
        return given ? null : AppContext.BaseDirectory;
    }
}
