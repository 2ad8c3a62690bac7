namespace Kodosumi.Shared;

/// <summary>admin.db stores role ids as 32 hex digits; execution folders use the hyphenated UUID.</summary>
public static class UserIds
{
    public static string? ToHyphenated(string? id) =>
        Guid.TryParse(id, out var guid) ? guid.ToString("D") : null;

    public static string ToHex32(Guid id) => id.ToString("N");
}
