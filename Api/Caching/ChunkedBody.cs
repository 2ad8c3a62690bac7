using System.Buffers;
using Kodosumi.Api.Hosting;

namespace Kodosumi.Api.Caching;

/// <summary>
/// A written answer held in chunks below the large object heap's threshold, so a large answer costs no
/// copy at every doubling and no large-object allocation. Chunks grow with the answer (4 KB, then as large
/// as what is written so far, up to 32 KB), come from the shared array pool and go back to it once an answer
/// that is not kept has been sent (<see cref="Release"/>).
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
        for (var i = 0; i < _chunks.Count; i++) await destination.WriteAsync(Chunk(i), ct);
    }

    ReadOnlyMemory<byte> Chunk(int i) => _chunks[i].AsMemory(0, i == _chunks.Count - 1 ? _usedInLast : _chunks[i].Length);

    /// <summary>A stream that appends to this body (for a compressor to write into).</summary>
    public Stream AppendStream() => new Appender(this);

    /// <summary>A stream that reads this body from its start; the body must not change while it is read.</summary>
    public Stream ReadStream() => new Reader(this);

    /// <summary>Gives the chunks back to the pool and leaves the body empty: only for an answer that nothing else holds.</summary>
    public void Release()
    {
        foreach (var chunk in _chunks) ArrayPool<byte>.Shared.Return(chunk);
        _chunks.Clear();
        _usedInLast = 0;
        Length = 0;
    }

    sealed class Appender(ChunkedBody body) : WriteOnlyStream
    {
        public override void Write(byte[] buffer, int offset, int count) => body.Write(buffer.AsSpan(offset, count));
        public override void Write(ReadOnlySpan<byte> buffer) => body.Write(buffer);
    }

    sealed class Reader(ChunkedBody body) : Stream
    {
        int _chunk, _offset;

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            while (_chunk < body._chunks.Count)
            {
                var rest = body.Chunk(_chunk).Span[_offset..];
                if (rest.IsEmpty)
                {
                    _chunk++;
                    _offset = 0;
                    continue;
                }
                var n = Math.Min(rest.Length, buffer.Length);
                rest[..n].CopyTo(buffer);
                _offset += n;
                return n;
            }
            return 0;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => body.Length;
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}

/// <summary>The members a write-only, unseekable stream does not support, written once.</summary>
public abstract class WriteOnlyStream : Stream
{
    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
