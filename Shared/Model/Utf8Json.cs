using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace Kodosumi.Shared.Model;

/// <summary>
/// JSON text held as UTF-8 bytes, compared by content. Every summary in memory holds its meta: as UTF-8 it
/// takes half the memory of a string, and an answer writes it without transcoding. Stored in the index as a string.
/// <para>
/// Metas of one agent and user differ only by the execution's fid: <see cref="Without"/> cuts the fid out, so the
/// rest is held once for all of them and the fid is put back wherever the text is read.
/// </para>
/// </summary>
public sealed class Utf8Json : IEquatable<Utf8Json>
{
    /// <summary>The text; with <see cref="_cut"/>, the text without it.</summary>
    readonly byte[] _utf8;
    /// <summary>ASCII text that belongs at <see cref="_at"/> in <see cref="_utf8"/>, or null.</summary>
    readonly string? _cut;
    readonly int _at;

    Utf8Json(byte[] utf8, string? cut = null, int at = 0) => (_utf8, _cut, _at) = (utf8, cut, at);

    /// <summary>The text of <paramref name="element"/> as it was written in its source.</summary>
    public static Utf8Json Of(JsonElement element) => new(JsonMarshal.GetRawUtf8Value(element).ToArray());

    /// <summary>Text read back from the index.</summary>
    public static Utf8Json Parse(string text) => new(Encoding.UTF8.GetBytes(text));

    /// <summary>Bytes of the whole text.</summary>
    public int Length => _utf8.Length + (_cut?.Length ?? 0);

    /// <summary>Writes the whole text to <paramref name="destination"/>, which holds at least <see cref="Length"/> bytes.</summary>
    public void CopyTo(Span<byte> destination)
    {
        if (_cut is null)
        {
            _utf8.CopyTo(destination);
            return;
        }
        _utf8.AsSpan(0, _at).CopyTo(destination);
        Encoding.ASCII.GetBytes(_cut, destination[_at..]);
        _utf8.AsSpan(_at).CopyTo(destination[(_at + _cut.Length)..]);
    }

    /// <summary>
    /// The same text with the first occurrence of <paramref name="value"/> (ASCII, an fid) held apart, and the rest
    /// as <paramref name="share"/> returns it (the one copy of equal bytes). This text itself when it is cut already
    /// or <paramref name="value"/> is not in it.
    /// </summary>
    public Utf8Json Without(string value, Func<byte[], byte[]> share)
    {
        if (_cut is not null || value.Length == 0 || !Ascii.IsValid(value)) return this;
        Span<byte> needle = value.Length <= 256 ? stackalloc byte[value.Length] : new byte[value.Length];
        Encoding.ASCII.GetBytes(value, needle);
        var at = _utf8.AsSpan().IndexOf(needle);
        if (at < 0) return this;
        var rest = share([.. _utf8.AsSpan(0, at), .. _utf8.AsSpan(at + value.Length)]);
        return new Utf8Json(rest, value, at);
    }

    /// <summary>Calls <paramref name="read"/> with the whole text (assembled in a pooled buffer when it is cut).</summary>
    T Read<T>(ReadOnlySpanFunc<T> read)
    {
        if (_cut is null) return read(_utf8);
        var buffer = ArrayPool<byte>.Shared.Rent(Length);
        try
        {
            CopyTo(buffer);
            return read(buffer.AsSpan(0, Length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    delegate T ReadOnlySpanFunc<out T>(ReadOnlySpan<byte> utf8);

    public override string ToString() => Read(Encoding.UTF8.GetString);

    public bool Equals(Utf8Json? other)
    {
        if (other is null || Length != other.Length) return false;
        if (_cut is null && other._cut is null) return _utf8.AsSpan().SequenceEqual(other._utf8);
        if (ReferenceEquals(_utf8, other._utf8) && _at == other._at) return _cut == other._cut;
        var length = Length;
        byte[] mine = ArrayPool<byte>.Shared.Rent(length), theirs = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            CopyTo(mine);
            other.CopyTo(theirs);
            return mine.AsSpan(0, length).SequenceEqual(theirs.AsSpan(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(mine);
            ArrayPool<byte>.Shared.Return(theirs);
        }
    }

    public override bool Equals(object? obj) => Equals(obj as Utf8Json);

    public override int GetHashCode() => Read(utf8 =>
    {
        var hash = new HashCode();
        hash.AddBytes(utf8);
        return hash.ToHashCode();
    });
}
