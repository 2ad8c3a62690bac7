using System.Collections;
using System.Collections.Concurrent;

namespace Kodosumi.Indexer.Store;

/// <summary>
/// A run of consecutive items of a <see cref="ChunkedOrder{T}"/>, never changed once made: what a query derives
/// from its items is kept on it, so a new version of the order recomputes that only for the chunks it replaced.
/// </summary>
public sealed class OrderChunk<T>
{
    ConcurrentDictionary<object, object>? _derived;

    internal OrderChunk(T[] items) => Items = items;

    internal T[] Items { get; }

    public int Count => Items.Length;

    public ReadOnlySpan<T> Span => Items;

    /// <summary>What a query computes from this chunk's items once; two callers racing may both compute it, one result is kept.</summary>
    public TResult Derived<TResult>(object key, Func<OrderChunk<T>, TResult> compute) where TResult : class
    {
        var derived = _derived ?? Interlocked.CompareExchange(ref _derived, new ConcurrentDictionary<object, object>(), null) ?? _derived;
        return (TResult)derived.GetOrAdd(key, _ => compute(this));
    }
}

/// <summary>Part of one chunk: items [<see cref="From"/>, <see cref="To"/>) of it.</summary>
public readonly record struct ChunkPiece<T>(OrderChunk<T> Chunk, int From, int To)
{
    public bool IsWhole => From == 0 && To == Chunk.Count;

    public ReadOnlySpan<T> Span => Chunk.Span[From..To];
}

/// <summary>
/// A sorted sequence kept as immutable chunks of about <see cref="TargetChunk"/> items, with the index where each
/// chunk starts. A new version (<see cref="With"/>) copies only the chunks its edits touch and the array of chunk
/// references, so a change costs its own chunks plus one pass over the chunk list, never a sort of every item.
/// </summary>
public sealed class ChunkedOrder<T> : IReadOnlyList<T>
{
    public const int TargetChunk = 1024, MaxChunk = 2 * TargetChunk, MinChunk = TargetChunk / 4;

    readonly OrderChunk<T>[] _chunks;
    /// <summary>Where each chunk starts; one more entry than chunks, the last being the count.</summary>
    readonly int[] _starts;

    ChunkedOrder(OrderChunk<T>[] chunks, IComparer<T> order)
    {
        _chunks = chunks;
        Order = order;
        _starts = new int[chunks.Length + 1];
        for (var i = 0; i < chunks.Length; i++) _starts[i + 1] = _starts[i] + chunks[i].Count;
    }

    public IComparer<T> Order { get; }

    public int Count => _starts[^1];

    public IReadOnlyList<OrderChunk<T>> Chunks => _chunks;

    public static ChunkedOrder<T> Empty(IComparer<T> order) => new([], order);

    /// <summary>The items, which must already be sorted by <paramref name="order"/>, cut into chunks.</summary>
    public static ChunkedOrder<T> OfSorted(ReadOnlySpan<T> sorted, IComparer<T> order)
    {
        var chunks = new List<OrderChunk<T>>(sorted.Length / TargetChunk + 1);
        Cut(sorted, chunks);
        return new ChunkedOrder<T>([.. chunks], order);
    }

    public static ChunkedOrder<T> Of(IEnumerable<T> items, IComparer<T> order)
    {
        var sorted = items.ToArray();
        Array.Sort(sorted, order);
        return OfSorted(sorted, order);
    }

    public T this[int index]
    {
        get
        {
            if ((uint)index >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(index));
            var chunk = ChunkAt(index);
            return _chunks[chunk].Items[index - _starts[chunk]];
        }
    }

    /// <summary>The chunk holding the item at <paramref name="index"/> (which is below the count).</summary>
    int ChunkAt(int index)
    {
        int low = 0, high = _chunks.Length - 1;
        while (low < high)
        {
            var mid = (low + high + 1) >>> 1;
            if (_starts[mid] <= index) low = mid;
            else high = mid - 1;
        }
        return low;
    }

    /// <summary>
    /// How many leading items satisfy <paramref name="leads"/>, which must hold for a prefix of the order and for
    /// nothing after it (a time window's edge, say): two binary searches, over chunks and within one.
    /// </summary>
    public int CountWhile(Func<T, bool> leads)
    {
        int low = 0, high = _chunks.Length;
        while (low < high)
        {
            var mid = (low + high) >>> 1;
            if (leads(_chunks[mid].Items[^1])) low = mid + 1;
            else high = mid;
        }
        if (low == _chunks.Length) return Count;
        var items = _chunks[low].Items;
        int from = 0, to = items.Length;
        while (from < to)
        {
            var mid = (from + to) >>> 1;
            if (leads(items[mid])) from = mid + 1;
            else to = mid;
        }
        return _starts[low] + from;
    }

    /// <summary>Items [<paramref name="start"/>, <paramref name="end"/>) as whole chunks and at most two partial ones.</summary>
    public IEnumerable<ChunkPiece<T>> Pieces(int start, int end)
    {
        end = Math.Min(end, Count);
        if (start >= end) yield break;
        for (var c = ChunkAt(start); c < _chunks.Length && _starts[c] < end; c++)
            yield return new ChunkPiece<T>(_chunks[c], Math.Max(start - _starts[c], 0), Math.Min(end - _starts[c], _chunks[c].Count));
    }

    public OrderRange<T> Range(int start, int end) => new(this, start, Math.Max(start, end) - start);

    public IEnumerator<T> GetEnumerator() => Enumerate(0, Count).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    internal IEnumerable<T> Enumerate(int start, int end)
    {
        foreach (var piece in Pieces(start, end))
            for (var i = piece.From; i < piece.To; i++) yield return piece.Chunk.Items[i];
    }

    /// <summary>
    /// This order with the edits applied in turn (an item added, or an item equal to it by the order removed; a
    /// removal of an item that is not there changes nothing). Chunks that no edit touches are shared; the touched
    /// ones are copied, split when they grow past <see cref="MaxChunk"/>, and merged with a neighbour when they
    /// shrink below <see cref="MinChunk"/>.
    /// </summary>
    public ChunkedOrder<T> With(IReadOnlyList<OrderEdit<T>> edits)
    {
        if (edits.Count == 0) return this;
        var touched = new Dictionary<int, List<T>>();
        foreach (var (item, added) in edits)
        {
            var c = ChunkFor(item);
            if (!touched.TryGetValue(c, out var list))
                touched[c] = list = c < _chunks.Length ? [.. _chunks[c].Items] : [];
            var at = list.BinarySearch(item, Order);
            if (added) list.Insert(at < 0 ? ~at : at, item);
            else if (at >= 0) list.RemoveAt(at);
        }
        var chunks = new List<OrderChunk<T>>(_chunks.Length + touched.Count);
        List<T>? carry = null;
        for (var c = 0; c < Math.Max(_chunks.Length, 1); c++)
        {
            var list = touched.GetValueOrDefault(c);
            if (list is null && carry is null)
            {
                chunks.Add(_chunks[c]);
                continue;
            }
            list ??= [.. _chunks[c].Items];
            if (carry is not null)
            {
                carry.AddRange(list);
                (list, carry) = (carry, null);
            }
            if (list.Count < MinChunk) carry = list;
            else Cut(list.ToArray(), chunks);
        }
        if (carry is { Count: > 0 })
        {
            // The last chunk shrank: it joins the one before it, if any.
            if (chunks.Count > 0)
            {
                carry.InsertRange(0, chunks[^1].Items);
                chunks.RemoveAt(chunks.Count - 1);
            }
            Cut(carry.ToArray(), chunks);
        }
        return new ChunkedOrder<T>([.. chunks], Order);
    }

    /// <summary>The chunk an item belongs in: the first whose last item is not before it, or the last chunk.</summary>
    int ChunkFor(T item)
    {
        int low = 0, high = _chunks.Length;
        while (low < high)
        {
            var mid = (low + high) >>> 1;
            if (Order.Compare(_chunks[mid].Items[^1], item) < 0) low = mid + 1;
            else high = mid;
        }
        return Math.Min(low, Math.Max(_chunks.Length - 1, 0));
    }

    /// <summary>Sorted items as chunks of at most <see cref="MaxChunk"/>, as even as they come.</summary>
    static void Cut(ReadOnlySpan<T> items, List<OrderChunk<T>> into)
    {
        if (items.IsEmpty) return;
        var count = items.Length <= MaxChunk ? 1 : (items.Length + TargetChunk - 1) / TargetChunk;
        for (var i = 0; i < count; i++)
        {
            var (from, to) = ((int)((long)items.Length * i / count), (int)((long)items.Length * (i + 1) / count));
            into.Add(new OrderChunk<T>(items[from..to].ToArray()));
        }
    }
}

/// <summary>An item to add to an order, or (<see cref="Added"/> false) to remove from it.</summary>
public readonly record struct OrderEdit<T>(T Item, bool Added);

/// <summary>Items [<see cref="Offset"/>, <see cref="Offset"/> + <see cref="Count"/>) of an order, read in place.</summary>
public sealed class OrderRange<T>(ChunkedOrder<T> order, int offset, int count) : IReadOnlyList<T>
{
    public ChunkedOrder<T> Order => order;
    public int Offset => offset;
    public int Count => count;
    public int End => offset + count;

    public T this[int index] =>
        (uint)index < (uint)count ? order[offset + index] : throw new ArgumentOutOfRangeException(nameof(index));

    /// <summary>The items from <paramref name="skip"/> on, without walking those skipped.</summary>
    public OrderRange<T> Skip(int skip) => new(order, offset + Math.Min(skip, count), count - Math.Min(skip, count));

    public IEnumerable<ChunkPiece<T>> Pieces() => order.Pieces(offset, End);

    public IEnumerator<T> GetEnumerator() => order.Enumerate(offset, End).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
