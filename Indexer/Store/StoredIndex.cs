using System.Globalization;
using Kodosumi.Shared.Model;
using LiteDB;

namespace Kodosumi.Indexer.Store;

/// <summary>
/// What the index holds, read lazily and in key order a chunk at a time. One query over a whole collection keeps every
/// page it read (LiteDB releases a transaction's pages only past about 800 MB) and then leaves them all in its cache;
/// a query per chunk ends its transaction, so the pages it read are reused by the next one.
/// </summary>
internal sealed class StoredIndex
{
    const int ChunkSize = 1_000;

    readonly LiteDatabase? _db;
    // Taken for each chunk's query only, so other calls to the engine wait for a chunk, never for the whole load.
    readonly Lock _engine;

    StoredIndex(LiteDatabase? db, Lock engine) => (_db, _engine) = (db, engine);

    /// <summary>The index in <paramref name="db"/>, each chunk read under <paramref name="engine"/> (the store's one-call-at-a-time lock).</summary>
    public static StoredIndex Of(LiteDatabase db, Lock engine) => new(db, engine);

    /// <summary>A fresh index: nothing stored.</summary>
    public static readonly StoredIndex Empty = new(null, new Lock());

    /// <summary>The fid of every stored error event (one per event), read from the index on <c>Fid</c>.</summary>
    public IEnumerable<string> ErrorFids => Read(IndexStore.Errors, "{ _id: $._id, Fid: $.Fid }", d => d["Fid"].AsString ?? "");

    public IEnumerable<ExecutionSummary> Summaries => Read(IndexStore.Executions, null, SummaryDocument.Read);

    /// <summary>
    /// Every stored error event, its message only when short (a message can be a megabyte; a longer one is
    /// left empty): the catalog keeps where each one is, and a page of errors reads the long messages then.
    /// </summary>
    public IEnumerable<ErrorEvent> ErrorPlaces => Read(IndexStore.Errors,
        "{ _id: $._id, Fid: $.Fid, UserId: $.UserId, EventId: $.EventId, Timestamp: $.Timestamp, " +
        $"Message: IIF(LENGTH($.Message) <= {ErrorRef.MaxShortMessage}, $.Message, '') }}",
        d => new ErrorEvent
        {
            Id = d["_id"].AsString ?? "", Fid = d["Fid"].AsString ?? "", UserId = d["UserId"].AsString ?? "",
            EventId = Convert.ToInt64(d["EventId"].RawValue, CultureInfo.InvariantCulture),
            Timestamp = Convert.ToDouble(d["Timestamp"].RawValue, CultureInfo.InvariantCulture),
            Message = d["Message"].AsString ?? "",
        });

    /// <summary>
    /// Every document of <paramref name="collection"/> (as <paramref name="select"/> shapes it), converted as LiteDB
    /// reads it, in key order. The next chunk is read on another thread while this one is passed on.
    /// </summary>
    IEnumerable<T> Read<T>(string collection, string? select, Func<BsonDocument, T> convert)
    {
        if (_db is null) yield break;
        var documents = _db.GetCollection(collection);
        var next = ReadAfter(documents, select, convert, BsonValue.MinValue);
        try
        {
            while (true)
            {
                var (chunk, last) = next.GetAwaiter().GetResult();
                var full = chunk.Count == ChunkSize;
                if (full) next = ReadAfter(documents, select, convert, last);
                foreach (var value in chunk) yield return value;
                if (!full) yield break;
            }
        }
        finally
        {
            // A load given up half-way must not leave a read running on an engine about to be closed.
            ((IAsyncResult)next).AsyncWaitHandle.WaitOne();
        }
    }

    /// <summary>
    /// The chunk after <paramref name="after"/>, each document converted as soon as it is read: a document is garbage
    /// before the next collection, where a list of documents would be copied to an older generation.
    /// </summary>
    Task<(List<T> Chunk, BsonValue Last)> ReadAfter<T>(ILiteCollection<BsonDocument> documents, string? select, Func<BsonDocument, T> convert, BsonValue after) =>
        Task.Run(() => Unreadable.Guard(() =>
        {
            var query = documents.Query().Where(Query.GT("_id", after));
            var shaped = select is null ? query.Limit(ChunkSize) : query.Select(select).Limit(ChunkSize);
            var chunk = new List<T>(ChunkSize);
            var last = after;
            lock (_engine)
                foreach (var document in shaped.ToEnumerable())
                {
                    chunk.Add(convert(document));
                    last = document["_id"];
                }
            return (chunk, last);
        }));
}

/// <summary>The index file could not be read to the end: it is rebuilt from the sources.</summary>
internal sealed class Unreadable(Exception cause) : Exception(cause.Message, cause)
{
    /// <summary>Runs a read; whatever it fails with (but memory) means the file is damaged.</summary>
    public static T Guard<T>(Func<T> read)
    {
        try
        {
            return read();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new Unreadable(e);
        }
    }
}
