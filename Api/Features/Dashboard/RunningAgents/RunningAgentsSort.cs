using Kodosumi.Indexer.Users;
using Kodosumi.Shared.Model;

namespace Kodosumi.Api.Features.Dashboard.RunningAgents;

/// <summary>
/// The page's sortable columns. Sorting happens here, before paging, so a page of 50 rows out of
/// 100,000 is the right 50. Ties keep the newest-first order (the sort is stable).
/// </summary>
public static class RunningAgentsSort
{
    public static readonly string[] Columns = ["start_time", "agent_name", "fid", "user", "status", "runtime", "files"];

    public static bool IsValid(string? sort) => string.IsNullOrEmpty(sort) || Columns.Contains(sort.TrimStart('-'));

    /// <param name="newestFirst">The matches in the catalog's newest-first order.</param>
    public static IEnumerable<ExecutionSummary> Apply(IEnumerable<ExecutionSummary> newestFirst, string? sort, UserDirectory users)
    {
        if (string.IsNullOrEmpty(sort) || sort == "-start_time") return newestFirst;
        var descending = sort.StartsWith('-');
        return sort.TrimStart('-') switch
        {
            "start_time" => By(newestFirst, s => s.StartTime, descending),
            "agent_name" => By(newestFirst, s => s.AgentName, descending, StringComparer.OrdinalIgnoreCase),
            "fid" => By(newestFirst, s => s.Fid, descending, StringComparer.Ordinal),
            "user" => By(newestFirst, s => users.NameOf(s.UserId) ?? s.UserId, descending, StringComparer.OrdinalIgnoreCase),
            "status" => By(newestFirst, ExecutionRow.StatusOf, descending, StringComparer.OrdinalIgnoreCase),
            // Executions without a runtime yet sort as zero.
            "runtime" => By(newestFirst, s => s.Runtime ?? 0, descending),
            "files" => By(newestFirst, s => s.UploadCount + s.DownloadCount, descending),
            _ => newestFirst,
        };
    }

    static IOrderedEnumerable<ExecutionSummary> By<TKey>(IEnumerable<ExecutionSummary> rows, Func<ExecutionSummary, TKey> key,
        bool descending, IComparer<TKey>? comparer = null) =>
        descending ? rows.OrderByDescending(key, comparer) : rows.OrderBy(key, comparer);
}
