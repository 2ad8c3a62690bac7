using Kodosumi.Indexer.Platform;
using Kodosumi.Indexer.Sources;
using Kodosumi.Indexer.Store;
using Kodosumi.Shared;
using Kodosumi.Shared.Model;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;

namespace Kodosumi.Indexer.Worker;

/// <summary>
/// Brings one execution's summary up to date with its folder: reads the rows past the cursor, folds
/// them, counts the files. Never throws for a bad execution: the reason goes into its problem field.
/// A database that keeps failing is quarantined (a per-file circuit breaker whose state travels with
/// the summary, so it survives restarts and changes the catalog's version like any other change):
/// it is not read again before a probe at a growing interval, and its last good summary stays counted.
/// </summary>
internal sealed class ExecutionRefresher(IOptions<IndexerOptions> options, TimeProvider time, ILogger<ExecutionRefresher> logger)
{
    readonly IndexerOptions _options = options.Value;
    readonly double _startedAt = time.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0;

    /// <summary>
    /// SQLITE_BUSY and SQLITE_LOCKED pass quickly; a few spaced retries ride them out (each read also waits
    /// up to a second for the lock itself, see <see cref="SqliteSource"/>). Bounded: about 5 s at worst.
    /// </summary>
    readonly ResiliencePipeline _transient = new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<SqliteException>(IsTransient),
            MaxRetryAttempts = 3,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = TimeSpan.FromMilliseconds(50),
            MaxDelay = TimeSpan.FromMilliseconds(500),
        })
        .Build();

    static bool IsTransient(SqliteException e) => e.SqliteErrorCode is 5 /* BUSY */ or 6 /* LOCKED */;

    /// <summary>The change to write, or null when nothing changed.</summary>
    /// <param name="force">Read the database even if its files look unchanged (a watcher said something happened).</param>
    /// <param name="stats">Stats below the root, for a pass over many folders; without it each folder is listed.</param>
    public IndexChange? Refresh(ExecutionFolder folder, ExecutionSummary? previous, bool force, RootStats? stats = null)
    {
        try
        {
            return RefreshFolder(folder, previous, force, stats);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The folder itself cannot be read (permissions, a failing disk): keep what is known and say why.
            var problem = $"the folder cannot be read: {e.Message}";
            LogOnce(folder.Path, problem, previous);
            var summary = (previous ?? new ExecutionSummary { Fid = folder.Fid, UserId = folder.UserId }) with { Problem = problem };
            return summary == previous ? null : new UpsertExecution(summary, [], Refolded: false);
        }
    }

    IndexChange? RefreshFolder(ExecutionFolder folder, ExecutionSummary? previous, bool force, RootStats? stats)
    {
        // One look at the folder answers whether it still exists, which database it has and its stamp.
        if (ExecutionFolders.Look(folder, previous?.SourceStamp, stats) is not { } look)
            return previous is null ? null : new RemoveExecution(folder.Fid);

        var unchanged = look.HasStamp(previous?.SourceStamp);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0;
        // An open breaker: no read before the probe, whatever the watcher says, unless the files of a hard
        // failure changed or the breaker was last tried before this process started (a restart probes once).
        if (previous?.Quarantine is { } open && now < open.RetryAt && open.TriedAt >= _startedAt && !(open.Hard && !unchanged))
            return null;
        if (!force && previous is { Problem: null } && unchanged && previous.UserId == folder.UserId)
            return null;
        // Only the folder's own time moved (an entry this index does not read came or went, or a recent time settled,
        // or the stamp is of an older build): the files it reads are as they were, so the stamp is kept without a read.
        if (!force && previous is { Problem: null, Quarantine: null } && previous.UserId == folder.UserId && look.HasSameFiles(previous.SourceStamp))
            return new UpsertExecution(previous with { SourceStamp = look.Stamp }, [], Refolded: false) { Restamp = true };

        var stamp = look.Stamp;

        var start = previous is not null && previous.UserId == folder.UserId
            ? previous
            : new ExecutionSummary { Fid = folder.Fid, UserId = folder.UserId };
        var files = new
        {
            Uploads = look.HasInputs ? ExecutionFolders.CountFiles(Path.Combine(folder.Path, ExecutionLayout.Inputs)) : 0,
            Downloads = look.HasOutputs ? ExecutionFolders.CountFiles(Path.Combine(folder.Path, ExecutionLayout.Outputs)) : 0,
        };

        var database = look.Database;
        ExecutionSummary summary;
        IReadOnlyList<ErrorEvent> errors = [];
        var refolded = !ReferenceEquals(start, previous) && previous is not null;
        string? problem = null;
        Exception? failure = null;
        if (database is null)
        {
            summary = start;
            problem = "no database yet";
        }
        else
        {
            try
            {
                (summary, errors, var recreated) = FoldRetrying(database, start);
                refolded |= recreated;
            }
            catch (Exception e) when (e is SqliteException or SourceProblemException or IOException or UnauthorizedAccessException)
            {
                summary = start;
                failure = e;
                problem = e is SqliteException sqlite ? $"SQLite error {sqlite.SqliteErrorCode}: {sqlite.Message}" : e.Message;
            }
        }

        // A missing database or table is a normal passing state, read again at every rescan; other failures count.
        var failedReads = failure is null or SourceProblemException ? 0 : (previous?.FailedReads ?? 0) + 1;
        var quarantine = failedReads == 0 ? null : QuarantineAfter(failure!, problem!, failedReads, previous?.Quarantine, now);
        Log(database ?? folder.Path, problem, quarantine, failedReads, previous);

        summary = summary with
        {
            SourceStamp = stamp,
            Problem = problem,
            FailedReads = failedReads,
            Quarantine = quarantine,
            UploadCount = files.Uploads,
            DownloadCount = files.Downloads,
        };
        return summary == previous ? null : new UpsertExecution(summary, errors, refolded);
    }

    /// <summary>
    /// The breaker after a failed read: open at once for a hard failure (retrying cannot help a corrupt file),
    /// after <see cref="IndexerOptions.QuarantineAfter"/> failures in a row for a lock. Each failed probe
    /// doubles the wait, up to the maximum, with up to a fifth added so many files do not probe together.
    /// </summary>
    Quarantine? QuarantineAfter(Exception failure, string reason, int failedReads, Quarantine? open, double now)
    {
        var hard = failure is not SqliteException sqlite || !IsTransient(sqlite);
        var opens = hard ? failedReads : failedReads - _options.QuarantineAfter + 1;
        if (opens < 1) return null;
        var wait = _options.QuarantineProbe.TotalSeconds * Math.Pow(2, Math.Min(opens - 1, 30));
        wait = Math.Min(wait * (1 + Random.Shared.NextDouble() / 5), _options.QuarantineProbeMax.TotalSeconds);
        return new Quarantine { Reason = reason, Since = open?.Since ?? now, TriedAt = now, RetryAt = now + wait, Hard = hard };
    }

    /// <summary>A problem is logged when it first appears or the execution is quarantined, not at every retry or probe.</summary>
    void Log(string path, string? problem, Quarantine? quarantine, int failedReads, ExecutionSummary? previous)
    {
        var opened = quarantine is not null && previous?.Quarantine is null;
        if (problem is not null && quarantine is not null && (opened || problem != previous?.Problem))
            logger.LogWarning("Execution {Path} is quarantined after {Failures} failed reads: {Problem}; next read at {RetryAt:u}{Unless}",
                path, failedReads, problem, DateTimeOffset.FromUnixTimeMilliseconds((long)(quarantine.RetryAt * 1000)),
                quarantine.Hard ? " or when its files change" : "");
        else if (problem is not null && problem != previous?.Problem)
            logger.LogWarning("Execution {Path} cannot be indexed yet: {Problem}", path, problem);
        else if (problem is null && previous?.Quarantine is { } was)
            logger.LogInformation("Execution {Path} reads again (quarantined since {Since:u})", path, DateTimeOffset.FromUnixTimeMilliseconds((long)(was.Since * 1000)));
    }

    /// <summary>The folder-level failure keeps its single log line.</summary>
    void LogOnce(string path, string? problem, ExecutionSummary? previous)
    {
        if (problem is not null && problem != previous?.Problem)
            logger.LogWarning("Execution {Path} cannot be indexed yet: {Problem}", path, problem);
    }

    /// <summary>
    /// A method of its own: a lambda in <see cref="RefreshFolder"/> would capture its locals there, and the closure
    /// would be allocated for every folder, unchanged ones included.
    /// </summary>
    (ExecutionSummary Summary, List<ErrorEvent> Errors, bool Recreated) FoldRetrying(string database, ExecutionSummary start) =>
        _transient.Execute(() => Fold(database, start));

    (ExecutionSummary Summary, List<ErrorEvent> Errors, bool Recreated) Fold(string database, ExecutionSummary start)
    {
        using var db = MonitorReader.Open(database);
        var rows = new List<MonitorRow>();
        var (identity, maxId) = db.ReadPage(start.LastFoldedId, _options.RowsPerRead, _options.MaxStoredMessageChars, rows);
        // A database recreated under the same path starts again from its first row.
        var recreated = (start.SourceIdentity is not null && identity != start.SourceIdentity) || maxId < start.LastFoldedId;
        var summary = start;
        if (recreated)
        {
            summary = new ExecutionSummary { Fid = start.Fid, UserId = start.UserId };
            rows.Clear();
            (identity, _) = db.ReadPage(0, _options.RowsPerRead, _options.MaxStoredMessageChars, rows);
        }
        var errors = new List<ErrorEvent>();
        while (rows.Count > 0)
        {
            var result = SummaryFold.Fold(summary, rows);
            summary = result.Summary;
            errors.AddRange(result.Errors);
            if (rows.Count < _options.RowsPerRead) break;
            rows.Clear();
            db.ReadPage(summary.LastFoldedId, _options.RowsPerRead, _options.MaxStoredMessageChars, rows);
        }
        return (summary with { SourceIdentity = identity }, errors, recreated);
    }
}
