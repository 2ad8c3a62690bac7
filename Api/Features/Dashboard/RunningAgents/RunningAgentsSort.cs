using Kodosumi.Indexer.Users;
using Kodosumi.Shared.Model;

namespace Kodosumi.Api.Features.Dashboard.RunningAgents;

/// <summary>Where one execution sits in a sort: its key (a number or a text) and the newest-first tiebreak.</summary>
public readonly record struct SortKey(double Number, string? Text, double Start, string Fid);

/// <summary>
/// The list's order: a column and a direction. <c>sort</c> takes the short names
/// (<c>start, runtime, status, agent, user</c>) with <c>order=asc|desc</c>, and the page's original column
/// names (<c>start_time, agent_name, fid, user, status, runtime, files</c>); a leading <c>-</c> means
/// descending with either. Ties keep the newest-first order, so every order is total and a keyset cursor can
/// resume after any row. Sorting happens before paging, so a page of 50 out of 100,000 is the right 50.
/// </summary>
public sealed record RunningAgentsSort(string Column, bool Descending)
{
    public static readonly string[] Columns = ["start_time", "agent_name", "fid", "user", "status", "runtime", "files"];
    public static readonly string[] ShortNames = ["start", "runtime", "status", "agent", "user"];
    public static readonly string[] Orders = ["asc", "desc"];

    /// <summary>Newest first: the catalog's own order.</summary>
    public static readonly RunningAgentsSort Default = new("start_time", true);

    public bool IsStart => Column == "start_time";

    public static bool IsValidColumn(string? sort)
    {
        if (string.IsNullOrEmpty(sort)) return true;
        var column = sort.StartsWith('-') ? sort[1..] : sort;
        return ShortNames.Contains(column) || Columns.Contains(column);
    }

    public static bool IsValidOrder(string? order) => string.IsNullOrEmpty(order) || Orders.Contains(order);

    /// <summary>Parses valid parameters (see the validator). Without <c>sort</c> the list is by start time, newest first unless <c>order=asc</c>.</summary>
    public static RunningAgentsSort Parse(string? sort, string? order)
    {
        if (string.IsNullOrEmpty(sort)) return order == "asc" ? Default with { Descending = false } : Default;
        var leadingMinus = sort.StartsWith('-');
        var column = (leadingMinus ? sort[1..] : sort) switch
        {
            "start" => "start_time",
            "agent" => "agent_name",
            var c => c,
        };
        return new RunningAgentsSort(column, leadingMinus || order == "desc");
    }

    public SortKey KeyOf(ExecutionSummary s, UserDirectory users) => Column switch
    {
        "start_time" => Number(s, s.StartTime),
        // Executions without a runtime yet sort as zero.
        "runtime" => Number(s, s.Runtime ?? 0),
        "files" => Number(s, s.UploadCount + s.DownloadCount),
        "agent_name" => Text(s, s.AgentName),
        "fid" => Text(s, s.Fid),
        "user" => Text(s, users.NameOf(s.UserId) ?? s.UserId),
        "status" => Text(s, ExecutionRow.StatusOf(s)),
        _ => throw new ArgumentOutOfRangeException(nameof(Column), Column, "not a sort column"),
    };

    static SortKey Number(ExecutionSummary s, double value) => new(value, null, s.StartTime, s.Fid);
    static SortKey Text(ExecutionSummary s, string value) => new(0, value, s.StartTime, s.Fid);

    /// <summary>A total order: the key in this direction, then newest first (by start time, in this direction for the start column).</summary>
    public int Compare(SortKey a, SortKey b)
    {
        var key = a.Text is not null || b.Text is not null
            ? StringComparer.OrdinalIgnoreCase.Compare(a.Text, b.Text)
            : a.Number.CompareTo(b.Number);
        if (key != 0) return Descending ? -key : key;
        // Start-time ties go in the column's direction, so both directions are the catalog's order or its reverse.
        var newestFirst = !IsStart || Descending;
        var tie = b.Start.CompareTo(a.Start) is var t and not 0 ? t : string.CompareOrdinal(b.Fid, a.Fid);
        return newestFirst ? tie : -tie;
    }

    /// <summary>
    /// The matches in this order, from just after <paramref name="after"/> (a cursor's key) when given. By
    /// start time they are already ordered (newest first, the catalog's order) or reversed, so only the
    /// other columns cost a sort, and a page taken with Skip/Take sorts only partially.
    /// </summary>
    public IEnumerable<ExecutionSummary> Apply(IReadOnlyList<ExecutionSummary> newestFirst, UserDirectory users, SortKey? after = null)
    {
        bool IsAfter(ExecutionSummary s) => after is not { } a || Compare(KeyOf(s, users), a) > 0;
        if (IsStart) return (Descending ? newestFirst : newestFirst.Reverse()).SkipWhile(s => !IsAfter(s));
        return newestFirst.Where(IsAfter).OrderBy(s => KeyOf(s, users), Comparer<SortKey>.Create(Compare));
    }
}
