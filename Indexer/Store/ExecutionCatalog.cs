using System.Collections.Concurrent;
using System.Collections.Immutable;
using Kodosumi.Shared.Model;

namespace Kodosumi.Indexer.Store;

/// <summary>
/// Where an error event sits, with its message when that is short (a page of errors then needs no read of
/// the index); a longer message (up to a megabyte) stays in LiteDB until a page of errors shows it.
/// </summary>
public sealed record ErrorRef(string Fid, string UserId, long EventId, double Timestamp, string? ShortMessage)
{
    /// <summary>Messages up to this many characters are kept in memory: a traceback is a few hundred.</summary>
    public const int MaxShortMessage = 2048;

    public string Key => ErrorEvent.KeyOf(Fid, EventId);
}

/// <summary>
/// An immutable view of the catalog at one version: every execution's <see cref="CatalogScope"/>, and each user's own
/// (what a user who sees only their own executions reads).
/// </summary>
public sealed class CatalogSnapshot(long version, CatalogScope all, ImmutableDictionary<string, CatalogScope> byUser)
{
    public long Version { get; } = version;
    public CatalogScope All { get; } = all;
    public IReadOnlyList<ExecutionSummary> NewestFirst => All.NewestFirst;
    public IReadOnlyList<ErrorRef> ErrorsNewestFirst => All.ErrorsNewestFirst;

    /// <summary>The executions and error events of <paramref name="userId"/> (any case), empty for a user without any.</summary>
    public CatalogScope OfUser(string userId) => byUser.GetValueOrDefault(userId) ?? CatalogScope.Empty;

    readonly ConcurrentDictionary<object, object> _derived = new();

    /// <summary>
    /// What a query derives from this version once (per viewer, say) and reuses until the catalog changes;
    /// it goes with the snapshot. Two requests racing may both compute it; one result is kept.
    /// </summary>
    public T Derived<T>(object key, Func<T> compute) where T : class => (T)_derived.GetOrAdd(key, _ => compute());
}

/// <summary>
/// The in-memory read model the API answers from: every summary and where every error event is,
/// mirrored from the index after each committed batch. Its orders (<see cref="CatalogScope"/>) are kept
/// sorted as changes arrive, each change copying only the chunks it touches, so a snapshot costs no sort.
/// </summary>
internal sealed class ExecutionCatalog(IndexEvents events)
{
    readonly Lock _gate = new();
    Dictionary<string, ExecutionSummary> _byFid = new(StringComparer.Ordinal);
    Dictionary<string, List<ErrorRef>> _errorsByFid = new(StringComparer.Ordinal);
    readonly Dictionary<string, string> _strings = new(StringComparer.Ordinal);
    readonly Dictionary<string, List<string>> _tagLists = new(StringComparer.Ordinal);
    readonly Dictionary<byte[], byte[]> _texts = new(ByteContent.Comparer);
    const int MaxSharedStrings = 100_000;
    long _version;
    // Per user: the version of the last change to their executions; read without the lock by every request.
    readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> _userVersions = new(StringComparer.OrdinalIgnoreCase);
    long _loadedVersion;
    int _quarantined, _withProblems;
    CatalogSnapshot? _snapshot;
    CatalogScope _all = CatalogScope.Empty;
    ImmutableDictionary<string, CatalogScope> _byUser = NoUsers;
    static readonly ImmutableDictionary<string, CatalogScope> NoUsers = ImmutableDictionary.Create<string, CatalogScope>(StringComparer.OrdinalIgnoreCase);
    (long Version, string[] Fids)? _fids;
    // While the first scan fills an empty index nobody reads the orders (the dashboard answers 503 until it ends): they
    // are built once when it ends instead of edited batch by batch, which copied nearly every chunk per batch.
    bool _ordersDeferred;

    /// <summary>Grows with every applied change; the API derives ETags from it.</summary>
    public long Version => Interlocked.Read(ref _version);

    /// <summary>
    /// The version of the last change to <paramref name="userId"/>'s executions (or of the last load): what a user who
    /// sees only their own executions may learn, where <see cref="Version"/> counts every user's changes.
    /// </summary>
    public long VersionOf(string userId) =>
        _userVersions.TryGetValue(userId, out var version) ? version : Interlocked.Read(ref _loadedVersion);

    public int Count
    {
        get { lock (_gate) return _byFid.Count; }
    }

    /// <summary>What the applied changes announce to the live stream.</summary>
    public IndexEvents Events => events;

    /// <summary>Executions whose database is quarantined (not read until their probe); kept current on every change.</summary>
    public int QuarantinedCount => Volatile.Read(ref _quarantined);

    /// <summary>Executions whose last read failed (<see cref="ExecutionSummary.Problem"/>); kept current like the quarantined count, so health never walks the catalog.</summary>
    public int WithProblemsCount => Volatile.Read(ref _withProblems);

    public ExecutionSummary? Find(string fid)
    {
        lock (_gate) return _byFid.GetValueOrDefault(fid);
    }

    /// <summary>Every fid, as of now; the same array until the version moves (an execution added or removed always moves it).</summary>
    public IReadOnlyList<string> Fids()
    {
        lock (_gate)
        {
            if (_fids is { } known && known.Version == _version) return known.Fids;
            _fids = (_version, [.. _byFid.Keys]);
            return _fids.Value.Fids;
        }
    }

    public CatalogSnapshot Snapshot()
    {
        // Nearly every request finds the current version's snapshot: taken without the lock, so a request never waits
        // for a rescan's reader that holds it (they run at the lowest priority, and may be preempted inside it).
        if (Volatile.Read(ref _snapshot) is { } current && current.Version == Version) return current;
        lock (_gate)
        {
            if (_snapshot is { } s && s.Version == _version) return s;
            var built = new CatalogSnapshot(_version, _all, _byUser);
            Volatile.Write(ref _snapshot, built);
            return built;
        }
    }

    /// <summary>
    /// Replaces everything with what the index holds (at start, and after the index was reopened). The streamed read
    /// and the sorts happen outside the lock: at scale they take seconds, and requests (health among them) must not wait
    /// for them. Only the worker loads and applies, so the shared strings are never compacted from two threads.
    /// <paramref name="kept"/> is given each summary as the catalog keeps it (the one read is garbage at once).
    /// </summary>
    public void Load(IEnumerable<ExecutionSummary> summaries, IEnumerable<ErrorEvent> errors, Action<ExecutionSummary>? kept = null)
    {
        var byFid = new Dictionary<string, ExecutionSummary>(StringComparer.Ordinal);
        foreach (var read in summaries)
        {
            var summary = byFid[read.Fid] = Compact(read);
            kept?.Invoke(summary);
        }
        var errorsByFid = new Dictionary<string, List<ErrorRef>>(StringComparer.Ordinal);
        foreach (var e in errors)
        {
            if (!errorsByFid.TryGetValue(e.Fid, out var list)) errorsByFid[e.Fid] = list = [];
            list.Add(RefOf(e, byFid.GetValueOrDefault(e.Fid)));
        }
        var (all, byUser) = CatalogScope.Build(byFid.Values, errorsByFid.Values.SelectMany(e => e));
        var (quarantined, withProblems) = (byFid.Values.Count(s => s.Quarantine is not null), byFid.Values.Count(s => s.Problem is not null));
        lock (_gate)
        {
            (_byFid, _errorsByFid, _all, _byUser) = (byFid, errorsByFid, all, byUser);
            (_quarantined, _withProblems) = (quarantined, withProblems);
            _ordersDeferred = byFid.Count == 0;
            NewBaseVersion();
            // Live clients may have been told of changes that did not reach the disk.
            events.PublishReset();
        }
        events.Signal();
    }

    /// <summary>
    /// Builds the orders deferred since an empty load; the worker calls it when the first scan has been written, before
    /// the dashboard may read them. Reads the maps outside the lock: only the worker changes them.
    /// </summary>
    public void KeepOrders()
    {
        if (!_ordersDeferred) return;
        var (all, byUser) = CatalogScope.Build(_byFid.Values, _errorsByFid.Values.SelectMany(e => e));
        lock (_gate)
        {
            (_all, _byUser) = (all, byUser);
            _ordersDeferred = false;
            NewBaseVersion();
        }
        events.Signal();
    }

    /// <summary>A version no answer kept so far belongs to, for every user alike.</summary>
    void NewBaseVersion()
    {
        _version++;
        _userVersions.Clear();
        Interlocked.Exchange(ref _loadedVersion, _version);
    }

    public void Apply(IReadOnlyList<IndexChange> changes)
    {
        if (changes.Count == 0) return;
        lock (_gate)
        {
            var visible = false;
            var touched = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            var edits = _ordersDeferred ? null : new CatalogEdits();
            foreach (var change in changes)
            {
                switch (change)
                {
                    case UpsertExecution upsert:
                        var previous = Put(upsert.Summary);
                        edits?.Replace(previous, _byFid[upsert.Fid]);
                        if (upsert.Refolded || !SameButStamp(previous, upsert.Summary))
                        {
                            visible = true;
                            touched.Add(upsert.Summary.UserId);
                            if (previous is not null) touched.Add(previous.UserId);
                        }
                        if (upsert.Refolded && _errorsByFid.Remove(upsert.Fid, out var dropped)) edits?.Errors(dropped, added: false);
                        List<ErrorEvent> added = [];
                        if (upsert.NewErrors.Count > 0)
                        {
                            var list = ErrorsOf(upsert.Fid);
                            var known = list.Select(r => r.EventId).ToHashSet();
                            added = [.. upsert.NewErrors.Where(e => known.Add(e.EventId))];
                            List<ErrorRef> refs = [.. added.Select(e => RefOf(e, _byFid[upsert.Fid]))];
                            list.AddRange(refs);
                            edits?.Errors(refs, added: true);
                        }
                        events.Publish(previous, upsert.Summary, added);
                        break;
                    case RemoveExecution remove:
                        visible = true;
                        if (_byFid.Remove(remove.Fid, out var removed))
                        {
                            edits?.Replace(removed, null);
                            touched.Add(removed.UserId);
                            if (removed.Quarantine is not null) _quarantined--;
                            if (removed.Problem is not null) _withProblems--;
                            events.PublishRemoved(removed);
                        }
                        if (_errorsByFid.Remove(remove.Fid, out var gone)) edits?.Errors(gone, added: false);
                        break;
                }
            }
            // A file touched without new rows (a checkpoint, a closed writer) only moves its stamp:
            // answers and their ETags stay valid.
            if (edits is not null) (_all, _byUser) = edits.ApplyTo(_all, _byUser);
            if (visible) _version++;
            // After the version moved: a user's version never names a change the snapshot of that version lacks.
            foreach (var user in touched) _userVersions[user] = _version;
        }
        events.Signal();
    }

    static bool SameButStamp(ExecutionSummary? previous, ExecutionSummary next) =>
        previous is not null && previous.Tags.SequenceEqual(next.Tags)
        && previous with { SourceStamp = null, Tags = next.Tags } == next with { SourceStamp = null };

    /// <summary>Stores the summary, keeping the quarantined and problem counts; returns the one it replaces.</summary>
    ExecutionSummary? Put(ExecutionSummary summary)
    {
        if (_byFid.TryGetValue(summary.Fid, out var old))
        {
            if (old.Quarantine is not null) _quarantined--;
            if (old.Problem is not null) _withProblems--;
        }
        if (summary.Quarantine is not null) _quarantined++;
        if (summary.Problem is not null) _withProblems++;
        _byFid[summary.Fid] = Compact(summary);
        return old;
    }

    /// <summary>
    /// Agent names, statuses, user ids and tag lists repeat across executions: the catalog keeps one of each
    /// instead of one per summary.
    /// </summary>
    ExecutionSummary Compact(ExecutionSummary s)
    {
        var (agent, user, status) = (Shared(s.AgentName), Shared(s.UserId), s.Status is null ? null : Shared(s.Status));
        var tags = SharedTags(s.Tags);
        var meta = s.MetaJson?.Without(s.Fid, SharedText);
        return ReferenceEquals(agent, s.AgentName) && ReferenceEquals(user, s.UserId) && ReferenceEquals(status, s.Status)
               && ReferenceEquals(tags, s.Tags) && ReferenceEquals(meta, s.MetaJson)
            ? s
            : s with { AgentName = agent, UserId = user, Status = status, Tags = tags, MetaJson = meta };
    }

    /// <summary>One copy of each meta without its fid: executions of one agent and user share it.</summary>
    byte[] SharedText(byte[] text)
    {
        if (_texts.TryGetValue(text, out var shared)) return shared;
        if (_texts.Count < MaxSharedStrings) _texts[text] = text;
        return text;
    }

    string Shared(string value)
    {
        if (_strings.TryGetValue(value, out var shared)) return shared;
        // Bounded, for a data set where these values never repeat.
        if (_strings.Count < MaxSharedStrings) _strings[value] = value;
        return value;
    }

    /// <summary>One list per distinct set of tags in order; nothing changes a summary's list once it is folded.</summary>
    List<string> SharedTags(List<string> tags)
    {
        var key = string.Join('\n', tags);
        if (_tagLists.TryGetValue(key, out var shared) && shared.SequenceEqual(tags, StringComparer.Ordinal)) return shared;
        if (_tagLists.Count >= MaxSharedStrings) return tags;
        shared = [.. tags.Select(Shared)];
        _tagLists[key] = shared;
        return shared;
    }

    /// <summary>
    /// The reference shares the summary's fid and user id, and, for its latest error (mostly its only one), its message.
    /// <paramref name="error"/>'s message may be missing (loaded without it) when it is long.
    /// </summary>
    static ErrorRef RefOf(ErrorEvent error, ExecutionSummary? summary)
    {
        var message = summary is { LatestError: { } latest } && summary.LatestErrorEventId == error.EventId && latest == error.Message
            ? latest
            : error.Message;
        var (fid, user) = summary is not null && summary.UserId == error.UserId ? (summary.Fid, summary.UserId) : (error.Fid, error.UserId);
        return new ErrorRef(fid, user, error.EventId, error.Timestamp,
            message.Length is > 0 and <= ErrorRef.MaxShortMessage ? message : null);
    }

    List<ErrorRef> ErrorsOf(string fid)
    {
        if (!_errorsByFid.TryGetValue(fid, out var list)) _errorsByFid[fid] = list = [];
        return list;
    }
}

/// <summary>Byte arrays compared by content.</summary>
sealed class ByteContent : IEqualityComparer<byte[]>
{
    public static readonly ByteContent Comparer = new();

    public bool Equals(byte[]? x, byte[]? y) => x is null ? y is null : y is not null && x.AsSpan().SequenceEqual(y);

    public int GetHashCode(byte[] bytes)
    {
        var hash = new HashCode();
        hash.AddBytes(bytes);
        return hash.ToHashCode();
    }
}
