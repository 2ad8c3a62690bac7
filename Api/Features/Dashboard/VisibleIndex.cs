using Kodosumi.Api.Auth;
using Kodosumi.Indexer.Store;
using Kodosumi.Shared.Model;

namespace Kodosumi.Api.Features.Dashboard;

/// <summary>
/// The executions one viewer may see in one catalog version, newest first, built once per version and
/// viewer. A time window is a prefix of them (found by binary search), and what the list's first page
/// shows about the whole window (how many, how many per status, the filters' values) is read from
/// per-status counts kept every <see cref="Step"/> rows and from where each value first appears, so a
/// page costs its own rows instead of a pass over the window.
/// </summary>
public sealed class VisibleIndex
{
    const int Step = 256;

    /// <summary>Newest first, as <see cref="Visible.InWindow"/> lists them.</summary>
    public ExecutionSummary[] Rows { get; }

    readonly CatalogSnapshot _snapshot;
    readonly Viewer _viewer;
    readonly string[] _statuses;
    readonly Dictionary<string, int> _statusSlot = new(StringComparer.Ordinal);
    /// <summary>[checkpoint c][status slot]: executions of that status among the first c × Step rows.</summary>
    readonly List<int[]> _statusCountsAt = [];
    readonly List<(string Value, int First)> _agents = [], _users = [], _statusFirst = [];

    VisibleIndex(CatalogSnapshot snapshot, Viewer viewer)
    {
        _snapshot = snapshot;
        _viewer = viewer;
        var rows = Rows = [.. snapshot.NewestFirst.Where(viewer.CanSee)];
        HashSet<string> agents = new(StringComparer.Ordinal), users = new(StringComparer.Ordinal);
        var statuses = new List<string>();
        var statusOf = new int[rows.Length];
        for (var i = 0; i < rows.Length; i++)
        {
            var s = rows[i];
            if (agents.Add(s.AgentName)) _agents.Add((s.AgentName, i));
            if (users.Add(s.UserId)) _users.Add((s.UserId, i));
            var status = ExecutionRow.StatusOf(s);
            if (!_statusSlot.TryGetValue(status, out var slot))
            {
                _statusSlot[status] = slot = statuses.Count;
                statuses.Add(status);
                _statusFirst.Add((status, i));
            }
            statusOf[i] = slot;
        }
        _statuses = [.. statuses];
        var running = new int[_statuses.Length];
        for (var i = 0; i <= rows.Length; i++)
        {
            if (i % Step == 0) _statusCountsAt.Add((int[])running.Clone());
            if (i < rows.Length) running[statusOf[i]]++;
        }
    }

    public static VisibleIndex Of(CatalogSnapshot snapshot, Viewer viewer) =>
        snapshot.Derived((typeof(VisibleIndex), viewer.UserId, viewer.IsOperator), () => new VisibleIndex(snapshot, viewer));

    /// <summary>Something derived from every row this viewer sees, kept as long as this index.</summary>
    public T Derived<T>(object key, Func<T> compute) where T : class =>
        _snapshot.Derived((key, _viewer.UserId, _viewer.IsOperator), compute);

    /// <summary>How many rows started at or after <paramref name="since"/>: the window is Rows[..n].</summary>
    public int CountSince(double since)
    {
        int low = 0, high = Rows.Length;
        while (low < high)
        {
            var mid = (low + high) >>> 1;
            if (Rows[mid].StartTime >= since) low = mid + 1;
            else high = mid;
        }
        return low;
    }

    /// <summary>The rows that started in <paramref name="range"/>, newest first: those after its end skipped, those before its start cut off.</summary>
    public ArraySegment<ExecutionSummary> Window(TimeRange range)
    {
        var start = range.HasEnd ? CountSince(range.Until) : 0;
        var end = Math.Max(start, CountSince(range.Since));
        return new ArraySegment<ExecutionSummary>(Rows, start, end - start);
    }

    /// <summary>Executions per status among the first <paramref name="count"/> rows, in the order the statuses first appear.</summary>
    public Dictionary<string, int> ByStatus(int count)
    {
        var counts = (int[])_statusCountsAt[count / Step].Clone();
        for (var i = count / Step * Step; i < count; i++) counts[_statusSlot[ExecutionRow.StatusOf(Rows[i])]]++;
        return _statusFirst.Where(s => s.First < count).ToDictionary(s => s.Value, s => counts[_statusSlot[s.Value]]);
    }

    /// <summary>The agent names among the first <paramref name="count"/> rows, each once, in the order they first appear.</summary>
    public IEnumerable<string> AgentNames(int count) => _agents.Where(a => a.First < count).Select(a => a.Value);

    public IEnumerable<string> UserIds(int count) => _users.Where(u => u.First < count).Select(u => u.Value);

    public IEnumerable<string> Statuses(int count) => _statusFirst.Where(s => s.First < count).Select(s => s.Value);
}
