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
/// </summary>
public sealed class ExecutionRefresher(IOptions<IndexerOptions> options, ILogger<ExecutionRefresher> logger)
{
    readonly IndexerOptions _options = options.Value;

    /// <summary>SQLITE_BUSY and SQLITE_LOCKED pass quickly; a few spaced retries ride them out.</summary>
    readonly ResiliencePipeline _transient = new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<SqliteException>(e => e.SqliteErrorCode is 5 or 6),
            MaxRetryAttempts = 4,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = TimeSpan.FromMilliseconds(20),
        })
        .Build();

    /// <summary>The change to write, or null when nothing changed.</summary>
    /// <param name="force">Read the database even if its files look unchanged (a watcher said something happened).</param>
    public IndexChange? Refresh(ExecutionFolder folder, ExecutionSummary? previous, bool force)
    {
        try
        {
            return RefreshFolder(folder, previous, force);
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

    IndexChange? RefreshFolder(ExecutionFolder folder, ExecutionSummary? previous, bool force)
    {
        // One listing of the folder answers whether it still exists, which database it has and its stamp.
        if (ExecutionFolders.Look(folder.Path) is not { } look)
            return previous is null ? null : new RemoveExecution(folder.Fid);
        if (!force && previous is { Problem: null } && previous.UserId == folder.UserId && look.HasStamp(previous.SourceStamp))
            return null;

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
        if (database is null)
        {
            summary = start;
            problem = "no database yet";
        }
        else
        {
            try
            {
                (summary, errors, var recreated) = _transient.Execute(() => Fold(database, start));
                refolded |= recreated;
            }
            catch (Exception e) when (e is SqliteException or SourceProblemException or IOException or UnauthorizedAccessException)
            {
                summary = start;
                problem = e is SqliteException sqlite ? $"SQLite error {sqlite.SqliteErrorCode}: {sqlite.Message}" : e.Message;
            }
        }

        LogOnce(database ?? folder.Path, problem, previous);

        summary = summary with
        {
            SourceStamp = stamp,
            Problem = problem,
            UploadCount = files.Uploads,
            DownloadCount = files.Downloads,
        };
        return summary == previous ? null : new UpsertExecution(summary, errors, refolded);
    }

    /// <summary>A problem is logged when it first appears on an execution, not at every retry.</summary>
    void LogOnce(string path, string? problem, ExecutionSummary? previous)
    {
        if (problem is not null && problem != previous?.Problem)
            logger.LogWarning("Execution {Path} cannot be indexed yet: {Problem}", path, problem);
    }

    (ExecutionSummary Summary, List<ErrorEvent> Errors, bool Recreated) Fold(string database, ExecutionSummary start)
    {
        using var db = SqliteSource.OpenReadOnly(database);
        var (identity, maxId) = ExecutionDatabase.Probe(db);
        // A database recreated under the same path starts again from its first row.
        var recreated = (start.SourceIdentity is not null && identity != start.SourceIdentity) || maxId < start.LastFoldedId;
        var summary = recreated ? new ExecutionSummary { Fid = start.Fid, UserId = start.UserId } : start;
        var errors = new List<ErrorEvent>();
        while (true)
        {
            var rows = ExecutionDatabase.ReadAfter(db, summary.LastFoldedId, _options.RowsPerRead, _options.MaxStoredMessageChars);
            if (rows.Count == 0) break;
            var result = SummaryFold.Fold(summary, rows);
            summary = result.Summary;
            errors.AddRange(result.Errors);
            if (rows.Count < _options.RowsPerRead) break;
        }
        return (summary with { SourceIdentity = identity }, errors, recreated);
    }
}
