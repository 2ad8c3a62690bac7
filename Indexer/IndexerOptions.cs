using System.ComponentModel.DataAnnotations;

namespace Kodosumi.Indexer;

/// <summary>Settings of the indexer, bound from the <c>Indexer</c> section plus Kodosumi's own variables.</summary>
public sealed class IndexerOptions : IValidatableObject
{
    public const string Section = "Indexer";

    /// <summary>Kodosumi's data directory; gives <c>execution/</c> and <c>admin.db</c> unless those are set.</summary>
    [Required] public string DataDir { get; set; } = "./data";

    /// <summary>Kodosumi's <c>KODO_EXEC_DIR</c>; defaults to <c>{DataDir}/execution</c>.</summary>
    public string? ExecDir { get; set; }

    /// <summary>Kodosumi's <c>KODO_ADMIN_DATABASE</c>: a path or an SQLAlchemy URL; defaults to <c>{DataDir}/admin.db</c>.</summary>
    public string? AdminDatabase { get; set; }

    /// <summary>The LiteDB file; must live outside the data directory, which is only ever read.</summary>
    [Required] public string IndexPath { get; set; } = "./index/kodosumi-index.db";

    public TimeSpan RescanInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The longest a settled execution (read cleanly, quiet for <see cref="WatchFinishedFor"/>) goes without a
    /// rescan looking at it, one rescan interval more at most; each rescan looks at a slice of them. A user folder's
    /// listing is reused for at most this long too.
    /// </summary>
    public TimeSpan SettledLookInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How long watcher hints for one execution are gathered before it is folded.</summary>
    public TimeSpan Debounce { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// How often live executions the watcher cannot watch (past the inotify watch limit, or while it is down) are looked
    /// at; with many of them the look comes less often, so it never costs more than a small share of one core.
    /// </summary>
    public TimeSpan UnwatchedLookInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>How often admin.db is checked for changes.</summary>
    public TimeSpan UsersReloadInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Rows read per query, so no read holds a snapshot long enough to stall the writer's checkpoint.</summary>
    [Range(1, 100_000)] public int RowsPerRead { get; set; } = 2000;

    /// <summary>Execution databases read at the same time during a scan, at most two per core; one thread writes the index.</summary>
    [Range(1, 64)] public int ReadParallelism { get; set; } = 4;

    /// <summary>Messages longer than this (in characters) are cut when stored in the index.</summary>
    [Range(1024, 64 * 1024 * 1024)] public int MaxStoredMessageChars { get; set; } = 1024 * 1024;

    /// <summary>Writes to the index stop (reported like a full disk) while its volume has less free space than this; 0 turns the check off.</summary>
    [Range(0, 1_000_000_000)] public long MinFreeMegabytes { get; set; }

    /// <summary>Failed reads in a row (each after its quick retries of SQLITE_BUSY/LOCKED) that quarantine an execution.</summary>
    [Range(1, 1000)] public int QuarantineAfter { get; set; } = 3;

    /// <summary>The first probe of a quarantined execution comes this long after it was quarantined; each failed probe doubles it.</summary>
    public TimeSpan QuarantineProbe { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The longest wait between two probes of a quarantined execution.</summary>
    public TimeSpan QuarantineProbeMax { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>How long a failed file watcher waits before it is created again (rescans cover the gap).</summary>
    public TimeSpan WatcherRetryDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long after its last event a finished or failed execution stays watched, and how long its files must be quiet
    /// before rescans look at it only in slices (<see cref="SettledLookInterval"/>).
    /// </summary>
    public TimeSpan WatchFinishedFor { get; set; } = TimeSpan.FromMinutes(5);

    public string ExecutionRoot => Path.GetFullPath(ExecDir is { Length: > 0 } dir ? dir : Path.Combine(DataDir, "execution"));

    public string AdminDatabasePath => Path.GetFullPath(AdminDatabase is { Length: > 0 } value ? FromSqlAlchemyUrl(value) : Path.Combine(DataDir, "admin.db"));

    /// <summary><c>sqlite+aiosqlite:///./data/admin.db</c> → <c>./data/admin.db</c>; a plain path is kept.</summary>
    public static string FromSqlAlchemyUrl(string value)
    {
        var scheme = value.IndexOf("://", StringComparison.Ordinal);
        if (scheme < 0) return value;
        if (!value[..scheme].StartsWith("sqlite", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"only SQLite admin databases are supported, got '{value}'");
        // Three slashes introduce a relative path, four an absolute one.
        var path = value[(scheme + 3)..];
        path = path.StartsWith('/') ? path[1..] : path;
        var query = path.IndexOf('?');
        return query >= 0 ? path[..query] : path;
    }

    public IEnumerable<ValidationResult> Validate(ValidationContext context)
    {
        if (RescanInterval <= TimeSpan.Zero)
            yield return new ValidationResult($"{Section}:{nameof(RescanInterval)} must be positive, got {RescanInterval}", [nameof(RescanInterval)]);
        if (SettledLookInterval <= TimeSpan.Zero || SettledLookInterval > TimeSpan.FromDays(365))
            yield return new ValidationResult($"{Section}:{nameof(SettledLookInterval)} must be positive and at most 365 days", [nameof(SettledLookInterval)]);
        if (UnwatchedLookInterval <= TimeSpan.Zero)
            yield return new ValidationResult($"{Section}:{nameof(UnwatchedLookInterval)} must be positive", [nameof(UnwatchedLookInterval)]);
        if (Debounce < TimeSpan.Zero)
            yield return new ValidationResult($"{Section}:{nameof(Debounce)} must not be negative", [nameof(Debounce)]);
        if (WatchFinishedFor < TimeSpan.Zero || WatchFinishedFor > TimeSpan.FromDays(3650))
            yield return new ValidationResult($"{Section}:{nameof(WatchFinishedFor)} must be between 0 and 3650 days", [nameof(WatchFinishedFor)]);
        if (UsersReloadInterval <= TimeSpan.Zero)
            yield return new ValidationResult($"{Section}:{nameof(UsersReloadInterval)} must be positive", [nameof(UsersReloadInterval)]);
        if (QuarantineProbe <= TimeSpan.Zero || QuarantineProbeMax < QuarantineProbe)
            yield return new ValidationResult(
                $"{Section}:{nameof(QuarantineProbe)} must be positive and at most {Section}:{nameof(QuarantineProbeMax)}", [nameof(QuarantineProbe), nameof(QuarantineProbeMax)]);
        if (WatcherRetryDelay <= TimeSpan.Zero)
            yield return new ValidationResult($"{Section}:{nameof(WatcherRetryDelay)} must be positive", [nameof(WatcherRetryDelay)]);
        if (AdminDatabaseError() is { } adminError)
            yield return new ValidationResult($"{Section}:{nameof(AdminDatabase)} (KODO_ADMIN_DATABASE): {adminError}", [nameof(AdminDatabase)]);
        var index = Path.GetFullPath(IndexPath);
        if (IsInside(index, Path.GetFullPath(DataDir)) || IsInside(index, ExecutionRoot))
            yield return new ValidationResult(
                $"{Section}:{nameof(IndexPath)} ({index}) must be outside the data directory, which is only ever read", [nameof(IndexPath)]);
    }

    string? AdminDatabaseError()
    {
        try { _ = AdminDatabasePath; return null; }
        catch (ArgumentException e) { return e.Message; }
    }

    static bool IsInside(string path, string dir) =>
        path.StartsWith(Path.TrimEndingDirectorySeparator(dir) + Path.DirectorySeparatorChar, StringComparison.Ordinal);
}
