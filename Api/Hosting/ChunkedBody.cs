using System.Buffers;

namespace Kodosumi.Api.Hosting;

/// <summary>
/// A written answer held in chunks below the large object heap's threshold. A list of 500 executions is
/// about 400 KB: held in one growing array it would cost a copy at every doubling and a large-object
/// allocation each time, and large-object allocations start full (gen 2) collections of the whole heap.
/// Chunks grow with the answer (4 KB, then as large as what is written so far, up to 32 KB), so a small
/// answer stays small. The chunks come from the shared array pool, and an answer that is not kept goes back to it once
/// sent (<see cref="Release"/>): at a few hundred distinct queries a second, new chunks were most of what a request
/// allocated, and so of the collections that paused the others.
/// </summary>
public sealed class ChunkedBody
{
    const int MinChunk = 4 * 1024, MaxChunk = 32 * 1024;

    readonly List<byte[]> _chunks = [];
    int _usedInLast;

    public long Length { get; private set; }

    public void Write(ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            if (_chunks.Count == 0 || _usedInLast == _chunks[^1].Length)
            {
                _chunks.Add(ArrayPool<byte>.Shared.Rent((int)Math.Clamp(Length, MinChunk, MaxChunk)));
                _usedInLast = 0;
            }
            var n = Math.Min(bytes.Length, _chunks[^1].Length - _usedInLast);
            bytes[..n].CopyTo(_chunks[^1].AsSpan(_usedInLast));
            _usedInLast += n;
            Length += n;
            bytes = bytes[n..];
        }
    }

    public async Task CopyToAsync(Stream destination, CancellationToken ct)
    {
        for (var i = 0; i < _chunks.Count; i++)
            await destination.WriteAsync(_chunks[i].AsMemory(0, i == _chunks.Count - 1 ? _usedInLast : _chunks[i].Length), ct);
    }

    /// <summary>Gives the chunks back to the pool and leaves the body empty: only for an answer that nothing else holds.</summary>
    public void Release()
    {
        foreach (var chunk in _chunks) ArrayPool<byte>.Shared.Return(chunk);
        _chunks.Clear();
        _usedInLast = 0;
        Length = 0;
    }
}
