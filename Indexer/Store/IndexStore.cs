using Kodosumi.Indexer.Alerts;
using Kodosumi.Shared.Model;
using LiteDB;
using LiteDB.Engine;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Kodosumi.Indexer.Store;

/// <summary>Logouts kept in the index until their tokens expire, so a restart does not accept those tokens again.</summary>
public interface ITokenRevocations
{
    /// <summary>Throws <see cref="IndexStoreException"/> when it cannot be written; the revocation then holds in memory only.</summary>
    void KeepRevoked(string key, long expiresUnixSeconds);
    List<RevokedToken> RevokedAt(long nowUnixSeconds);
}

/// <summary>
/// The LiteDB summary index: the one <see cref="LiteDatabase"/> of the process. Each batch of changes
/// is one transaction, so a summary and its cursor are never written apart, and a replay after a crash
/// overwrites rather than duplicates. One call at a time reaches the engine: LiteDB 5's page cache can hand a
/// reader a page that another reader's lookup is recycling (litedb-org/LiteDB#2817).
/// </summary>
sealed class IndexStore : ITokenRevocations, IDisposable
{
    /// <summary>Bump when the stored shape changes: an index of another version is rebuilt from the sources.</summary>
    public const int SchemaVersion = 1;

    public const string Executions = "executions";
    public const string Errors = "errors";
    const string Revoked = "revoked";
    const string Outbox = "outbox";

    readonly string _path;
    readonly long _minFreeBytes;
    readonly ILogger _logger;
    // Replaced by Reopen (on the worker's thread) while requests may read: each read takes the current one.
    volatile LiteDatabase _db;
    volatile ILiteCollection<ExecutionSummary> _executions;
    volatile ILiteCollection<ErrorEvent> _errors;
    volatile ILiteCollection<OutboxAlert> _outbox;
    // Set after a failed write: until a commit is proven on disk, each one is checkpointed before it counts.
    bool _verifyCommits;
    /// <summary>
    /// Why the last reopen failed (a full disk, say). The engine stays closed until one succeeds, and each write says
    /// that cause rather than "disposed object", so health keeps showing the real reason.
    /// </summary>
    volatile Exception? _closedBy;
    readonly Lock _engine = new();
    // Read by every health check: kept from the last write of the outbox, so a check never waits for the engine.
    volatile OutboxReading _outboxState = new(0, null);

    /// <summary>Why the index was started afresh at the last open (damaged, or of another schema version); null if it was reused.</summary>
    public string? RebuildReason { get; private set; }

    public IndexStore(IOptions<IndexerOptions> options, ILogger<IndexStore> logger)
    {
        _path = Path.GetFullPath(options.Value.IndexPath);
        _minFreeBytes = options.Value.MinFreeMegabytes * 1024 * 1024;
        _logger = logger;
        Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
        (_db, RebuildReason) = OpenOrRebuild(_path, logger);
        (_executions, _errors, _outbox) = Collections(_db);
        ReadOutboxState();
    }

    /// <summary>
    /// After a failed write. LiteDB writes its log on a background thread, so a commit can return before its pages
    /// fail to reach the disk; the engine then stays closed and every later call throws. Open the file again: it
    /// holds exactly the transactions that reached the disk, which <see cref="Load"/> then reads.
    /// </summary>
    public void Reopen()
    {
        lock (_engine)
        {
            CloseFailed();
            try
            {
                (var db, RebuildReason) = OpenOrRebuild(_path, _logger);
                (_executions, _errors, _outbox) = Collections(db);
                _db = db;
                _closedBy = null;
            }
            catch (Exception e) when (e is LiteException or IOException)
            {
                _closedBy = e;
                throw Failed(e);
            }
            _verifyCommits = true;
            ReadOutboxState();
        }
    }

    void CloseFailed()
    {
        try
        {
            _db.Dispose();
        }
        // A failed engine may fail again while closing; it is dropped either way.
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _logger.LogDebug(e, "Closing the failed index");
        }
    }

    void ThrowIfClosed()
    {
        if (_closedBy is { } cause) throw Failed(new IOException($"The index is closed until it can be reopened: {cause.Message}", cause));
    }

    /// <summary>
    /// Free space a write needs after a failed one. LiteDB writes its log on a background thread; when that write fails
    /// too (the disk is still full), the checkpoint that proves the commit waits for it for ever. So until a commit is
    /// proven, nothing is written to a volume with less than this free.
    /// </summary>
    const long RecoveryHeadroomBytes = 4 * 1048576;

    /// <summary>Stops short of a full disk, leaving room for LiteDB's checkpoint and for whatever else shares the volume.</summary>
    void EnsureFreeSpace()
    {
        if (_minFreeBytes == 0 && !_verifyCommits) return;
        var free = FreeBytes();
        if (free < _minFreeBytes)
            throw new IndexStoreException($"No space left for the index: {free / 1048576} MB free on its volume, Indexer:MinFreeMegabytes asks for {_minFreeBytes / 1048576}", nothingWritten: true);
        if (_verifyCommits && free < RecoveryHeadroomBytes)
            throw new IndexStoreException($"No space left for the index: {free / 1048576} MB free on its volume; after a failed write it waits for {RecoveryHeadroomBytes / 1048576} MB", nothingWritten: true);
    }

    static (ILiteCollection<ExecutionSummary>, ILiteCollection<ErrorEvent>, ILiteCollection<OutboxAlert>) Collections(LiteDatabase db)
    {
        var errors = db.GetCollection<ErrorEvent>(Errors);
        errors.EnsureIndex(e => e.Fid);
        var outbox = db.GetCollection<OutboxAlert>(Outbox, BsonAutoId.Int64);
        outbox.EnsureIndex(a => a.Webhook);
        return (db.GetCollection<ExecutionSummary>(Executions), errors, outbox);
    }

    /// <summary>
    /// Hands <paramref name="load"/> what the index holds, streamed, so no list of every document is ever held. Reading
    /// every document is what proves the file readable: when one fails, the file is moved aside, a fresh index started
    /// (<see cref="RebuildReason"/> says why), and <paramref name="load"/> is called again with nothing.
    /// </summary>
    public void Load(Action<StoredIndex> load)
    {
        ThrowIfClosed();
        try
        {
            load(StoredIndex.Of(_db, _engine));
        }
        catch (Unreadable e)
        {
            RebuildReason = $"the index file was damaged: {e.Message}";
            _logger.LogError(e.InnerException, "Index {Path} cannot be read; moving it aside and rebuilding from the execution databases", _path);
            lock (_engine)
            {
                CloseFailed();
                var fresh = StartAfresh(_path, SalvageRevoked(_path, _logger));
                (_executions, _errors, _outbox) = Collections(fresh);
                _db = fresh;
                ReadOutboxState();
            }
            load(StoredIndex.Empty);
        }
    }

    /// <summary>An error event's stored message; null if it cannot be read now (the index is being reopened after a failed write).</summary>
    public ErrorEvent? FindError(string id)
    {
        try
        {
            lock (_engine) return _errors.FindById(id);
        }
        catch (Exception e) when (e is LiteException or IOException or ObjectDisposedException)
        {
            return null;
        }
    }

    /// <summary>
    /// A failed write's cause as <c>/health/ready</c> (open to anyone) shows it: without the index's path, which a file
    /// system's message names. LiteDB writes its log on a background thread, and a full disk there closes the engine so
    /// that the next call only says "disposed object": the volume's free space is asked too.
    /// </summary>
    string DescribeFailure(Exception e) =>
        IsDiskFull(e) || FreeBytes() < 1024 * 1024 ? "No space left on the index volume"
        : e.Message.Replace(Path.GetDirectoryName(_path)!, "{index folder}", StringComparison.Ordinal);

    long FreeBytes()
    {
        try
        {
            return new DriveInfo(Path.GetDirectoryName(_path)!).AvailableFreeSpace;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return long.MaxValue;
        }
    }

    /// <summary>
    /// Writes a batch in one transaction, with the alerts it causes: a change is never stored without its alerts,
    /// nor an alert without its change. Never call across an await: LiteDB transactions are per thread.
    /// </summary>
    public void Commit(IReadOnlyList<IndexChange> changes, IReadOnlyList<OutboxAlert>? alerts = null)
    {
        if (changes.Count == 0) return;
        Guard(() => CommitUnguarded(changes, alerts));
    }

    void CommitUnguarded(IReadOnlyList<IndexChange> changes, IReadOnlyList<OutboxAlert>? alerts)
    {
        ThrowIfClosed();
        EnsureFreeSpace();
        _db.BeginTrans();
        try
        {
            foreach (var change in changes)
            {
                switch (change)
                {
                    case UpsertExecution upsert:
                        if (upsert.Refolded) _errors.DeleteMany(e => e.Fid == upsert.Fid);
                        _executions.Upsert(upsert.Summary);
                        if (upsert.NewErrors.Count > 0) _errors.Upsert(upsert.NewErrors);
                        break;
                    case RemoveExecution remove:
                        _executions.Delete(remove.Fid);
                        _errors.DeleteMany(e => e.Fid == remove.Fid);
                        break;
                }
            }
            if (alerts is { Count: > 0 }) _outbox.InsertBulk(alerts);
            _db.Commit();
            if (alerts is { Count: > 0 }) ReadOutboxState();
        }
        catch
        {
            try { _db.Rollback(); }
            catch (Exception e) when (e is LiteException or IOException or ObjectDisposedException) { } // a closed engine has nothing to roll back
            throw;
        }
        if (_verifyCommits)
        {
            ProveWritten();
            _verifyCommits = false;
        }
    }

    /// <summary>Writes alerts that no change of the index causes (a run that stalled as time passed).</summary>
    public void Enqueue(IReadOnlyList<OutboxAlert> alerts)
    {
        if (alerts.Count == 0) return;
        Guard(() =>
        {
            ThrowIfClosed();
            _outbox.InsertBulk(alerts);
            ReadOutboxState();
        });
    }

    /// <summary>The oldest undelivered alert for a webhook: alerts go out one at a time in the order they were written.</summary>
    public OutboxAlert? NextAlert(int webhook) => Guard(() =>
    {
        ThrowIfClosed();
        return _outbox.Query().Where(a => a.Webhook == webhook).OrderBy(a => a.Id).FirstOrDefault();
    });

    /// <summary>Removes a delivered (or given up) alert.</summary>
    public void RemoveAlert(long id) => Guard(() =>
    {
        ThrowIfClosed();
        _outbox.Delete(id);
        ReadOutboxState();
    });

    /// <summary>How many alerts wait, and when the oldest of them was written (Unix seconds); null when none waits.</summary>
    public (int Count, double? OldestCreatedAt) OutboxState() => (_outboxState.Count, _outboxState.OldestCreatedAt);

    /// <summary>Reads the outbox's state after it changed; a failing engine leaves the last state read.</summary>
    void ReadOutboxState()
    {
        try
        {
            lock (_engine)
            {
                var count = _outbox.Count();
                var oldest = count == 0 ? null : (double?)_outbox.Query().OrderBy(a => a.Id).Select(a => a.CreatedAt).FirstOrDefault();
                _outboxState = new OutboxReading(count, oldest);
            }
        }
        catch (Exception e) when (e is LiteException or IOException or ObjectDisposedException)
        {
            _logger.LogDebug(e, "Outbox state not read");
        }
    }

    sealed record OutboxReading(int Count, double? OldestCreatedAt);

    /// <summary>
    /// Throws unless every commit so far reached the disk. The checkpoint waits for the log writer and copies
    /// the log into the data file; a new transaction then throws if the engine failed meanwhile.
    /// </summary>
    public void ProveWritten() => Guard(() =>
    {
        ThrowIfClosed();
        _db.Checkpoint();
        _db.BeginTrans();
        _db.Rollback();
    });

    /// <summary>Runs a call on the engine; whatever it fails with (LiteDB, the file system, a closed engine) leaves as an <see cref="IndexStoreException"/>.</summary>
    void Guard(Action call) => Guard(() =>
    {
        call();
        return true;
    });

    T Guard<T>(Func<T> call)
    {
        try
        {
            lock (_engine) return call();
        }
        catch (Exception e) when (e is LiteException or IOException or ObjectDisposedException && e is not IndexStoreException)
        {
            throw Failed(e);
        }
    }

    IndexStoreException Failed(Exception e) => new(DescribeFailure(e), nothingWritten: false, e);

    /// <summary>
    /// Keeps a token given up by a logout (by its key) until its expiry, so a restart does not accept it again. A
    /// failed write is left to the caller: the revocation still holds in memory.
    /// </summary>
    public void KeepRevoked(string key, long expiresUnixSeconds) => Guard(() =>
    {
        ThrowIfClosed();
        EnsureFreeSpace();
        _db.GetCollection<RevokedToken>(Revoked).Upsert(new RevokedToken { Id = key, ExpiresUnixSeconds = expiresUnixSeconds });
    });

    /// <summary>The revocations not expired at <paramref name="nowUnixSeconds"/>; expired ones are deleted on the way.</summary>
    public List<RevokedToken> RevokedAt(long nowUnixSeconds)
    {
        try
        {
            lock (_engine)
            {
                var revoked = _db.GetCollection<RevokedToken>(Revoked);
                revoked.DeleteMany(r => r.ExpiresUnixSeconds <= nowUnixSeconds);
                return revoked.FindAll().ToList();
            }
        }
        catch (Exception e) when (e is LiteException or IOException or ObjectDisposedException)
        {
            _logger.LogWarning("Revoked tokens not read from the index: {Reason}", e.Message);
            return [];
        }
    }

    public void Dispose()
    {
        lock (_engine)
        {
            try
            {
                _db.Checkpoint();
            }
            catch (Exception e) when (e is LiteException or IOException or ObjectDisposedException)
            {
                // A full disk: what was committed is in the log and is replayed at the next start.
                _logger.LogWarning("Index {Path} not checkpointed at stop: {Reason}", _path, e.Message);
            }
            _db.Dispose();
        }
    }

    static BsonMapper CreateMapper()
    {
        var mapper = new BsonMapper();
        // Meta is held as UTF-8 in memory and stored as the string it always was.
        mapper.RegisterType<Utf8Json?>(json => json?.ToString(), bson => bson.IsNull ? null : Utf8Json.Parse(bson.AsString));
        // The stamp is held as numbers and stored as its text; a text that is not a stamp reads as none (a refold).
        mapper.RegisterType(typeof(SourceStamp), stamp => stamp.ToString(), bson => bson.IsString ? SourceStamp.Parse(bson.AsString) : null);
        mapper.Entity<ExecutionSummary>()
            .Id(s => s.Fid)
            .Ignore(s => s.CreatedAt)
            .Ignore(s => s.StartTime)
            .Ignore(s => s.HasError);
        mapper.Entity<ErrorEvent>().Id(e => e.Id);
        mapper.Entity<OutboxAlert>().Id(a => a.Id, autoId: true);
        return mapper;
    }

    /// <summary>
    /// The index is derived data: a file that cannot be opened, or one of another schema version, is moved aside and a
    /// fresh one started, which the worker then fills from the execution databases (as <see cref="Load"/> does with a
    /// file that cannot be read to the end).
    /// </summary>
    static (LiteDatabase Db, string? RebuildReason) OpenOrRebuild(string path, ILogger logger)
    {
        string reason;
        LiteDatabase? db = null;
        try
        {
            db = Open(path);
            var isNew = db.UserVersion == 0 && db.GetCollectionNames().All(n => db.GetCollection(n).Count() == 0);
            if (db.UserVersion == SchemaVersion || isNew)
            {
                if (isNew) db.UserVersion = SchemaVersion;
                return (db, null);
            }
            reason = $"schema version {db.UserVersion} is replaced by {SchemaVersion}";
            logger.LogWarning("Index {Path}: {Reason}; rebuilding it", path, reason);
        }
        // A damaged file can fail in many ways inside LiteDB; every one of them means "rebuild". A full disk
        // does not: the file is sound, and opening it is tried again once there is space.
        catch (Exception e) when (e is not OutOfMemoryException && !IsDiskFull(e))
        {
            reason = $"the index file was damaged: {e.Message}";
            logger.LogError(e, "Index {Path} cannot be read; moving it aside and rebuilding from the execution databases", path);
        }
        db?.Dispose();
        return (StartAfresh(path, SalvageRevoked(path, logger)), reason);
    }

    /// <summary>
    /// Logouts are not derived from the execution databases: the ones a file about to be moved aside still yields are
    /// carried into the fresh one, so a rebuild does not accept those tokens again. A new engine reads them: one that
    /// failed keeps failing every call.
    /// </summary>
    static List<RevokedToken> SalvageRevoked(string path, ILogger logger)
    {
        try
        {
            using var db = Open(path);
            return db.GetCollection<RevokedToken>(Revoked).FindAll().ToList();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            logger.LogWarning("Revoked tokens could not be read from the index moved aside: {Reason}", e.Message);
            return [];
        }
    }

    /// <summary>Moves the file aside and opens a new one of this schema version, holding only <paramref name="revoked"/>.</summary>
    static LiteDatabase StartAfresh(string path, IReadOnlyCollection<RevokedToken> revoked)
    {
        MoveAside(path);
        var fresh = Open(path);
        fresh.UserVersion = SchemaVersion;
        if (revoked.Count > 0) fresh.GetCollection<RevokedToken>(Revoked).InsertBulk(revoked);
        return fresh;
    }

    /// <summary>ENOSPC or EDQUOT, as .NET reports them on Linux (the errno is the HResult).</summary>
    static bool IsDiskFull(Exception e) => e is IOException { HResult: 28 or 122 } || e.InnerException is { } inner && IsDiskFull(inner);

    static LiteDatabase Open(string path)
    {
        var log = new GroupSyncedFile(LogPath(path));
        try
        {
            // Keys compared ordinally, as the file system compares folder names. LiteDB's default (the culture's rules,
            // ignoring case) made two fids that differ only in case one document, and cost an ICU call per comparison.
            // A new file takes it; one made before keeps its own.
            var settings = new EngineSettings { Filename = path, LogStream = log, Collation = Collation.Binary };
            return new IndexDatabase(new LiteEngine(settings), CreateMapper(), log);
        }
        catch
        {
            log.Dispose();
            throw;
        }
    }

    /// <summary>Where LiteDB keeps the log of the index at <paramref name="path"/>: <c>index-log.db</c> beside <c>index.db</c>.</summary>
    static string LogPath(string path) => Path.ChangeExtension(path, null) + "-log" + Path.GetExtension(path);

    /// <summary>The index with its log file, which LiteDB leaves open when it was handed a stream.</summary>
    sealed class IndexDatabase(LiteEngine engine, BsonMapper mapper, GroupSyncedFile log) : LiteDatabase(engine, mapper)
    {
        protected override void Dispose(bool disposing)
        {
            try
            {
                base.Dispose(disposing);
            }
            finally
            {
                if (disposing) log.Dispose();
            }
        }
    }

    static void MoveAside(string path)
    {
        var stamp = DateTime.UtcNow.ToString("yyyyMMddHHmmss");
        foreach (var file in new[] { path, LogPath(path) })
        {
            if (File.Exists(file)) File.Move(file, $"{file}.broken-{stamp}", overwrite: true);
        }
    }
}

/// <summary>A token given up by a logout: the key of what the token is (not of its spelling) and when it expires.</summary>
public sealed class RevokedToken
{
    public string Id { get; set; } = "";
    /// <summary>Unix seconds, as the token's <c>exp</c>: no time zone for the mapper to get wrong.</summary>
    public long ExpiresUnixSeconds { get; set; }
}

/// <summary>
/// The index could not be read or written; <see cref="Exception.Message"/> is safe to show on <c>/health/ready</c> (no
/// path). <see cref="NothingWritten"/>: refused before writing (too little free space), so the engine is still sound.
/// </summary>
public sealed class IndexStoreException(string message, bool nothingWritten, Exception? inner = null) : IOException(message, inner)
{
    public bool NothingWritten { get; } = nothingWritten;
}
