using System.Globalization;

namespace Kodosumi.Shared;

/// <summary>Execution ids are 24-hex-digit BSON ObjectIds whose first 8 digits are the creation time.</summary>
public static class Fids
{
    public static bool IsValid(string? fid) =>
        fid is { Length: 24 } && fid.All(char.IsAsciiHexDigit);

    public static double? CreationTime(string fid) =>
        IsValid(fid) && uint.TryParse(fid.AsSpan(0, 8), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var seconds)
            ? seconds
            : null;

    public static string New(DateTimeOffset createdAt, Random random)
    {
        var tail = new byte[8];
        random.NextBytes(tail);
        return ((uint)createdAt.ToUnixTimeSeconds()).ToString("x8", CultureInfo.InvariantCulture) + Convert.ToHexStringLower(tail);
    }
}
