namespace Kodosumi.Shared;

/// <summary>Names Kodosumi gives to the files of one execution folder.</summary>
public static class ExecutionLayout
{
    public const string Database = "sqlite3.db";
    public const string LegacyDatabase = "db.sqlite";
    public const string Inputs = "in";
    public const string Outputs = "out";

    /// <summary>The execution's database, preferring the current name over the older one.</summary>
    public static string? FindDatabase(string executionDir)
    {
        var current = Path.Combine(executionDir, Database);
        if (File.Exists(current)) return current;
        var legacy = Path.Combine(executionDir, LegacyDatabase);
        return File.Exists(legacy) ? legacy : null;
    }

    /// <summary>Folders whose names start with a dot are not executions (nor users).</summary>
    public static bool IsHidden(string name) => IsHidden(name.AsSpan());

    /// <inheritdoc cref="IsHidden(string)"/>
    public static bool IsHidden(ReadOnlySpan<char> name) => name is ['.', ..];
}
