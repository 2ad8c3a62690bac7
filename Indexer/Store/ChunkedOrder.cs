using System.Collections;
using System.Collections.Concurrent;

namespace Kodosumi.Indexer.Store;

/// <summary>
/// Something that never changes once made, with what queries derive from it kept on it: a new version of an order
/// recomputes those values only for the parts it replaced.
/// </summary>
public abstract class KeepsDerived<TSelf> where TSelf : KeepsDerived<TSelf>
{
    ConcurrentDictionary<object, object>? _derived;

    /// <summary>What a query computes from this once; two callers racing may both compute it, one result is kept.</summary>
    public TResult Derived<TResult>(object key, Func<TSelf, TResult> compute) where TResult : class
    {
        var derived = _derived ?? Interlocked.CompareExchange(ref _derived, new ConcurrentDictionary<object, object>(), null) ?? _derived;
        return (TResult)derived.GetOrAdd(key, static (_, arg) => arg.compute(arg.self), (compute, self: (TSelf)this));
    }
}

/// <summary>A run of consecutive items of a <see cref="ChunkedOrder{T}"/>, never changed once made.</summary>
public sealed class OrderChunk<T> : KeepsDerived<OrderChunk<T>>
{
    internal OrderChunk(T[] items) => Items = items;

    internal T[] Items { get; }

    public int Count => Items.Length;

    public ReadOnlySpan<T> Span => Items;
}

/// <summary>
/// A run of consecutive chunks of a <see cref="ChunkedOrder{T}"/>, never changed once made: what a query adds up over
/// its chunks is kept on it, so a stretch of the order costs tens of group values instead of a value per chunk.
/// </summary>
public sealed class ChunkGroup<T> : KeepsDerived<ChunkGroup<T>>
{
    internal ChunkGroup(OrderChunk<T>[] chunks) => Items = chunks;

    internal OrderChunk<T>[] Items { get; }

    public IReadOnlyList<OrderChunk<T>> Chunks => Items;
}

/// <summary>Part of one chunk: items [<see cref="From"/>, <see cref="To"/>) of it.</summary>
public readonly record struct ChunkPiece<T>(OrderChunk<T> Chunk, int From, int To)
{
    public bool IsWhole => From == 0 && To == Chunk.Count;

    public ReadOnlySpan<T> Span => Chunk.Span[From..To];
}

/// <summary>
/// A sorted sequence kept as immutable chunks of about <see cref="TargetChunk"/> items, and the chunks as immutable
/// groups of about <see cref="TargetGroup"/>, with the index where each chunk starts. A new version (<see cref="With"/>)
/// copies only the chunks its edits touch, makes new groups only where their chunks changed, and copies the arrays of
/// references, so a change costs its own chunks and groups plus one pass over the chunk list, never a sort of every item.
/// </summary>
public sealed class ChunkedOrder<T> : IReadOnlyList<T>
{
    public const int TargetChunk = 1024, MaxChunk = 2 * TargetChunk, MinChunk = TargetChunk / 4;
    public const int TargetGroup = 32, MaxGroup = 2 * TargetGroup, MinGroup = TargetGroup / 4;

    readonly ChunkGroup<T>[] _groups;
    readonly OrderChunk<T>[] _chunks;
    /// <summary>Where each chunk starts; one more entry than chunks, the last being the count.</summary>
    readonly int[] _starts;
    /// <summary>The chunk each group starts with; one more entry than groups, the last being the number of chunks.</summary>
    readonly int[] _groupStarts;

    ChunkedOrder(ChunkGroup<T>[] groups, IComparer<T> order)
    {
        _groups = groups;
        Order = order;
        _groupStarts = new int[groups.Length + 1];
        for (var g = 0; g < groups.Length; g++) _groupStarts[g + 1] = _groupStarts[g] + groups[g].Items.Length;
        _chunks = new OrderChunk<T>[_groupStarts[^1]];
        for (var g = 0; g < groups.Length; g++) groups[g].Items.CopyTo(_chunks, _groupStarts[g]);
        _starts = new int[_chunks.Length + 1];
        for (var i = 0; i < _chunks.Length; i++) _starts[i + 1] = _starts[i] + _chunks[i].Count;
    }

    public IComparer<T> Order { get; }

    public int Count => _starts[^1];

    public IReadOnlyList<OrderChunk<T>> Chunks => _chunks;

    public IReadOnlyList<ChunkGroup<T>> Groups => _groups;

    public static ChunkedOrder<T> Empty(IComparer<T> order) => new([], order);

    /// <summary>The items, which must already be sorted by <paramref name="order"/>, cut into chunks and groups.</summary>
    public static ChunkedOrder<T> OfSorted(ReadOnlySpan<T> sorted, IComparer<T> order)
    {
        var chunks = new List<OrderChunk<T>>(sorted.Length / TargetChunk + 1);
        Cut(sorted, chunks);
        var groups = new List<ChunkGroup<T>>(chunks.Count / TargetGroup + 1);
        Group(chunks, groups);
        return new ChunkedOrder<T>([.. groups], order);
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
    int ChunkAt(int index) => LastAtOrBelow(_starts, _chunks.Length, index);

    /// <summary>The group holding chunk <paramref name="chunk"/>.</summary>
    int GroupOf(int chunk) => LastAtOrBelow(_groupStarts, _groups.Length, chunk);

    /// <summary>The last of the first <paramref name="length"/> entries of ascending <paramref name="starts"/> at or below <paramref name="value"/>.</summary>
    static int LastAtOrBelow(int[] starts, int length, int value)
    {
        int low = 0, high = length - 1;
        while (low < high)
        {
            var mid = (low + high + 1) >>> 1;
            if (starts[mid] <= value) low = mid;
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

    /// <summary>
    /// What <paramref name="ofItems"/> says of items [<paramref name="start"/>, <paramref name="end"/>), in parts in
    /// order: the value of each whole group (its chunks' values joined by <paramref name="ofParts"/>) and of each whole
    /// chunk outside them is kept under <paramref name="key"/>; at most two partial chunks are computed anew.
    /// </summary>
    public IEnumerable<TResult> Parts<TResult>(int start, int end, object key, Func<ReadOnlySpan<T>, TResult> ofItems,
        Func<IReadOnlyList<TResult>, TResult> ofParts) where TResult : class
    {
        end = Math.Min(end, Count);
        if (start >= end) yield break;
        var c = ChunkAt(start);
        var g = GroupOf(c);
        while (c < _chunks.Length && _starts[c] < end)
        {
            if (c == _groupStarts[g + 1]) g++;
            var (first, last) = (_groupStarts[g], _groupStarts[g + 1]);
            // A group of one chunk would only keep its chunk's value twice.
            if (c == first && last - first > 1 && _starts[first] >= start && _starts[last] <= end)
            {
                yield return _groups[g].Derived(key, group => ofParts(Array.ConvertAll(group.Items, chunk => Kept(chunk, key, ofItems))));
                c = last;
                continue;
            }
            var (from, to) = (Math.Max(start - _starts[c], 0), Math.Min(end - _starts[c], _chunks[c].Count));
            yield return from == 0 && to == _chunks[c].Count ? Kept(_chunks[c], key, ofItems) : ofItems(_chunks[c].Span[from..to]);
            c++;
        }
    }

    static TResult Kept<TResult>(OrderChunk<T> chunk, object key, Func<ReadOnlySpan<T>, TResult> ofItems) where TResult : class =>
        chunk.Derived(key, whole => ofItems(whole.Span));

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
    /// shrink below <see cref="MinChunk"/>. Groups whose chunks all stay are shared; the others are made anew from
    /// their chunks, split past <see cref="MaxGroup"/> and merged with a neighbour below <see cref="MinGroup"/>, so no
    /// group keeps a value of chunks it no longer holds.
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
        var touchedGroups = _groups.Length == 0 ? [0] : touched.Keys.Select(GroupOf).ToHashSet();
        var groups = new List<ChunkGroup<T>>(_groups.Length + 1);
        // Chunks of the groups made anew, grouped once there are enough of them.
        var pending = new List<OrderChunk<T>>();
        List<T>? carry = null;
        for (var g = 0; g < Math.Max(_groups.Length, 1); g++)
        {
            if (carry is null && pending.Count == 0 && !touchedGroups.Contains(g))
            {
                groups.Add(_groups[g]);
                continue;
            }
            var (first, last) = _groups.Length == 0 ? (0, 1) : (_groupStarts[g], _groupStarts[g + 1]);
            for (var c = first; c < last; c++)
            {
                var list = touched.GetValueOrDefault(c);
                if (list is null && carry is null)
                {
                    pending.Add(_chunks[c]);
                    continue;
                }
                list ??= [.. _chunks[c].Items];
                if (carry is not null)
                {
                    carry.AddRange(list);
                    (list, carry) = (carry, null);
                }
                if (list.Count < MinChunk) carry = list;
                else Cut(list.ToArray(), pending);
            }
            if (pending.Count >= MinGroup)
            {
                Group(pending, groups);
                pending.Clear();
            }
        }
        if (carry is { Count: > 0 })
        {
            // The last chunk shrank: it joins the one before it, if any.
            if (pending.Count == 0) Reopen(groups, pending);
            if (pending.Count > 0)
            {
                carry.InsertRange(0, pending[^1].Items);
                pending.RemoveAt(pending.Count - 1);
            }
            Cut(carry.ToArray(), pending);
        }
        // The last group came out small: it joins the one before it, if any.
        if (pending.Count is > 0 and < MinGroup) Reopen(groups, pending);
        Group(pending, groups);
        return new ChunkedOrder<T>([.. groups], Order);
    }

    /// <summary>The last group's chunks go back to be grouped again, before <paramref name="pending"/>.</summary>
    static void Reopen(List<ChunkGroup<T>> groups, List<OrderChunk<T>> pending)
    {
        if (groups.Count == 0) return;
        pending.InsertRange(0, groups[^1].Items);
        groups.RemoveAt(groups.Count - 1);
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
        foreach (var (from, to) in Even(items.Length, TargetChunk, MaxChunk)) into.Add(new OrderChunk<T>(items[from..to].ToArray()));
    }

    /// <summary>Chunks in order as groups of at most <see cref="MaxGroup"/>, as even as they come.</summary>
    static void Group(List<OrderChunk<T>> chunks, List<ChunkGroup<T>> into)
    {
        foreach (var (from, to) in Even(chunks.Count, TargetGroup, MaxGroup)) into.Add(new ChunkGroup<T>(chunks[from..to].ToArray()));
    }

    /// <summary><paramref name="count"/> things cut into runs of at most <paramref name="max"/>, about <paramref name="target"/> each.</summary>
    static IEnumerable<(int From, int To)> Even(int count, int target, int max)
    {
        if (count == 0) yield break;
        var runs = count <= max ? 1 : (count + target - 1) / target;
        for (var i = 0; i < runs; i++) yield return ((int)((long)count * i / runs), (int)((long)count * (i + 1) / runs));
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

    /// <summary>See <see cref="ChunkedOrder{T}.Parts"/>.</summary>
    public IEnumerable<TResult> Parts<TResult>(object key, Func<ReadOnlySpan<T>, TResult> ofItems, Func<IReadOnlyList<TResult>, TResult> ofParts)
        where TResult : class => order.Parts(offset, End, key, ofItems, ofParts);

    public IEnumerator<T> GetEnumerator() => order.Enumerate(offset, End).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
