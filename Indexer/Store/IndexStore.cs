using Kodosumi.Shared.Model;
using LiteDB;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Kodosumi.Indexer.Store;

/// <summary>
/// The LiteDB summary index: the one <see cref="LiteDatabase"/> of the process. Each batch of changes
/// is one transaction, so a summary and its cursor are never written apart, and a replay after a crash
/// overwrites rather than duplicates.
/// </summary>
public sealed class IndexStore : IDisposable
{
    /// <summary>Bump when the stored shape changes: an index of another version is rebuilt from the sources.</summary>
    public const int SchemaVersion = 1;

    readonly LiteDatabase _db;
    readonly ILiteCollection<ExecutionSummary> _executions;
    readonly ILiteCollection<ErrorEvent> _errors;

    public IndexStore(IOptions<IndexerOptions> options, ILogger<IndexStore> logger)
    {
        var path = Path.GetFullPath(options.Value.IndexPath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        _db = OpenOrRebuild(path, logger);
        _executions = _db.GetCollection<ExecutionSummary>("executions");
        _errors = _db.GetCollection<ErrorEvent>("errors");
        _errors.EnsureIndex(e => e.Fid);
    }

    public IReadOnlyList<ExecutionSummary> LoadExecutions() => _executions.FindAll().ToList();

    public IEnumerable<ErrorEvent> LoadErrors() => _errors.FindAll();

    public ErrorEvent? FindError(string id) => _errors.FindById(id);

    /// <summary>Writes a batch in one transaction. Never call across an await: LiteDB transactions are per thread.</summary>
    public void Commit(IReadOnlyList<IndexChange> changes)
    {
        if (changes.Count == 0) return;
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
            _db.Commit();
        }
        catch
        {
            _db.Rollback();
            throw;
        }
    }

    public void Dispose()
    {
        _db.Checkpoint();
        _db.Dispose();
    }

    static BsonMapper CreateMapper()
    {
        var mapper = new BsonMapper();
        mapper.Entity<ExecutionSummary>()
            .Id(s => s.Fid)
            .Ignore(s => s.CreatedAt)
            .Ignore(s => s.StartTime)
            .Ignore(s => s.HasError);
        mapper.Entity<ErrorEvent>().Id(e => e.Id);
        return mapper;
    }

    /// <summary>
    /// The index is derived data: an unreadable file or one of another schema version is moved aside
    /// and a fresh one started, which the worker then fills from the execution databases.
    /// </summary>
    static LiteDatabase OpenOrRebuild(string path, ILogger logger)
    {
        try
        {
            var db = Open(path);
            if (db.UserVersion == SchemaVersion) return db;
            var empty = db.GetCollectionNames().All(n => db.GetCollection(n).Count() == 0);
            if (db.UserVersion == 0 && empty)
            {
                db.UserVersion = SchemaVersion;
                return db;
            }
            logger.LogWarning("Index {Path} has schema version {Found}, this build writes {Expected}; rebuilding it", path, db.UserVersion, SchemaVersion);
            db.Dispose();
        }
        catch (Exception e) when (e is LiteException or IOException or InvalidCastException or ArgumentException)
        {
            logger.LogError(e, "Index {Path} cannot be opened; moving it aside and rebuilding from the execution databases", path);
        }
        MoveAside(path);
        var fresh = Open(path);
        fresh.UserVersion = SchemaVersion;
        return fresh;
    }

    static LiteDatabase Open(string path) =>
        new(new ConnectionString { Filename = path, Connection = ConnectionType.Direct }, CreateMapper());

    static void MoveAside(string path)
    {
        var stamp = DateTime.UtcNow.ToString("yyyyMMddHHmmss");
        foreach (var file in new[] { path, Path.ChangeExtension(path, null) + "-log" + Path.GetExtension(path) })
        {
            if (File.Exists(file)) File.Move(file, $"{file}.broken-{stamp}", overwrite: true);
        }
    }
}
