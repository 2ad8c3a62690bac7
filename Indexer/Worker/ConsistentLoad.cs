using Kodosumi.Indexer.Store;
using Kodosumi.Shared.Model;

namespace Kodosumi.Indexer.Worker;

/// <summary>
/// Passes on what the index holds, without a summary whose error count disagrees with the error events stored for it,
/// nor error events without a summary (a damaged index can lose pages silently): those executions are forgotten, so
/// the first scan folds them again from their first row, or drops them if they are gone. Everything streams: only the
/// stored error counts are held.
/// </summary>
internal sealed class ConsistentLoad
{
    readonly StoredIndex _stored;
    /// <summary>Error events stored per fid, until a summary that agrees with it (or not) takes it out.</summary>
    readonly Dictionary<string, int> _unmatchedErrors;
    readonly HashSet<string> _withErrors = new(StringComparer.Ordinal);
    readonly List<string> _disagreeing = [];

    public ConsistentLoad(StoredIndex stored)
    {
        _stored = stored;
        _unmatchedErrors = stored.ErrorFids.CountBy(fid => fid, StringComparer.Ordinal).ToDictionary(StringComparer.Ordinal);
    }

    /// <summary>The summaries that agree with their stored errors; read once.</summary>
    public IEnumerable<ExecutionSummary> Summaries()
    {
        foreach (var summary in _stored.Summaries)
        {
            var stored = _unmatchedErrors.Remove(summary.Fid, out var count) ? count : 0;
            if (summary.ErrorCount != stored) _disagreeing.Add(summary.Fid);
            else
            {
                if (stored > 0) _withErrors.Add(summary.Fid);
                yield return summary;
            }
        }
    }

    /// <summary>The error events of the summaries passed on; read once, after <see cref="Summaries"/>.</summary>
    public IEnumerable<ErrorEvent> Errors() => _stored.ErrorPlaces.Where(e => _withErrors.Contains(e.Fid));

    /// <summary>After both were read: the executions to forget.</summary>
    public IEnumerable<string> Forgotten() => _disagreeing.Concat(_unmatchedErrors.Keys);
}
