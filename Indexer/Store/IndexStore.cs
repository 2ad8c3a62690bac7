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

    const string Executions = "executions";
    const string Errors = "errors";

    readonly LiteDatabase _db;
    readonly IndexFiles _files;
    readonly ILiteCollection<ExecutionSummary> _executions;
    readonly ILiteCollection<ErrorEvent> _errors;
    (List<ExecutionSummary> Executions, List<ErrorEvent> Errors)? _loaded;

    /// <summary>Why the index was started afresh at open (damaged, or of another schema version); null if it was reused.</summary>
    public string? RebuildReason { get; }

    public IndexStore(IOptions<IndexerOptions> options, ILogger<IndexStore> logger)
    {
        var path = Path.GetFullPath(options.Value.IndexPath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        (_db, _files, _loaded, RebuildReason) = OpenOrRebuild(path, logger);
        _executions = _db.GetCollection<ExecutionSummary>(Executions);
        _errors = _db.GetCollection<ErrorEvent>(Errors);
        _errors.EnsureIndex(e => e.Fid);
    }

    /// <summary>Everything the index held at open (read once then, which also proved it readable); handed out once.</summary>
    public (List<ExecutionSummary> Executions, List<ErrorEvent> Errors) TakeLoaded()
    {
        var loaded = _loaded ?? ([], []);
        _loaded = null;
        return loaded;
    }

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
        _files.Dispose();
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
    /// The index is derived data: a file that cannot be read to the end, or one of another schema
    /// version, is moved aside and a fresh one started, which the worker then fills from the execution
    /// databases. Reading every document here is what proves the file readable.
    /// </summary>
    static (LiteDatabase Db, IndexFiles Files, (List<ExecutionSummary>, List<ErrorEvent>)? Loaded, string? RebuildReason) OpenOrRebuild(string path, ILogger logger)
    {
        string reason;
        IndexFiles? files = null;
        LiteDatabase? db = null;
        try
        {
            files = IndexFiles.Open(path);
            db = Open(files);
            var isNew = db.UserVersion == 0 && db.GetCollectionNames().All(n => db.GetCollection(n).Count() == 0);
            if (db.UserVersion == SchemaVersion || isNew)
            {
                db.UserVersion = SchemaVersion;
                var loaded = (db.GetCollection<ExecutionSummary>(Executions).FindAll().ToList(), db.GetCollection<ErrorEvent>(Errors).FindAll().ToList());
                return (db, files, loaded, null);
            }
            reason = $"schema version {db.UserVersion} is replaced by {SchemaVersion}";
            logger.LogWarning("Index {Path}: {Reason}; rebuilding it", path, reason);
        }
        // A damaged file can fail in many ways inside LiteDB; every one of them means "rebuild".
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            reason = $"the index file was damaged: {e.Message}";
            logger.LogError(e, "Index {Path} cannot be read; moving it aside and rebuilding from the execution databases", path);
        }
        try { db?.Dispose(); } catch (Exception e) when (e is not OutOfMemoryException) { }
        files?.Dispose();
        MoveAside(path);
        var freshFiles = IndexFiles.Open(path);
        var fresh = Open(freshFiles);
        fresh.UserVersion = SchemaVersion;
        return (fresh, freshFiles, null, reason);
    }

    static LiteDatabase Open(IndexFiles files) => new(files.Data, CreateMapper(), files.Log);

    static void MoveAside(string path)
    {
        var stamp = DateTime.UtcNow.ToString("yyyyMMddHHmmss");
        foreach (var file in new[] { path, IndexFiles.LogPathOf(path) })
        {
            if (File.Exists(file)) File.Move(file, $"{file}.broken-{stamp}", overwrite: true);
        }
    }
}
