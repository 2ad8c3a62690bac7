namespace Kodosumi.Api.Hosting;

/// <summary>
/// A secret given as a value (<c>NAME</c>) or as a file holding it (<c>NAME_FILE</c>: Docker and Kubernetes
/// secrets). Both at once is refused: which one wins would be a guess.
/// </summary>
public static class SecretSettings
{
    public const string FileSuffix = "_FILE";

    /// <summary>The secret <paramref name="name"/> from configuration or from its file; null when neither is set.</summary>
    public static string? Read(IConfiguration config, string name)
    {
        var value = config[name];
        var file = config[name + FileSuffix];
        if (string.IsNullOrEmpty(file)) return value;
        if (value is not null)
            throw new InvalidOperationException($"Both {name} and {name}{FileSuffix} are set: give the secret one way only.");
        try
        {
            // Files written by `echo` or an editor end with a newline that is no part of the secret.
            return File.ReadAllText(file).TrimEnd('\r', '\n');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException($"{name}{FileSuffix} names '{file}', which cannot be read: {e.Message}", e);
        }
    }
}
