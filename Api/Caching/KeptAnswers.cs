using System.Collections.Concurrent;
using Kodosumi.Api.Hosting;
using Microsoft.Extensions.Options;

namespace Kodosumi.Api.Caching;

/// <summary>
/// The JSON answers <see cref="ConditionalGet"/> keeps under their ETags, bounded by their size in bytes
/// (<c>Dashboard:KeptAnswersBytes</c>): a count alone would let a few thousand large lists (any query
/// string is a key) hold gigabytes. An answer is kept the second time it is computed in a version
/// (<see cref="ComputedBefore"/>): one asked for once would only push out the answers that polling dashboards
/// share. One store per
/// host, so versions of two hosts in one process never meet.
/// </summary>
public sealed class KeptAnswers(IOptions<DashboardOptions> options)
{
    /// <summary>A kept answer; a large one is kept gzip-compressed (<paramref name="Gzip"/>).</summary>
    public sealed record Answer(string? ContentType, ChunkedBody Body, bool Gzip = false);

    readonly ConcurrentDictionary<string, Answer> _answers = new(StringComparer.Ordinal);
    /// <summary>ETags computed once in this version, not kept yet.</summary>
    readonly HashSet<string> _computedOnce = new(StringComparer.Ordinal);
    const int MaxComputedOnce = 10_000;
    readonly Lock _gate = new();
    readonly long _maxBytes = options.Value.KeptAnswersBytes;
    long _version = -1;
    long _bytes;

    /// <summary>Bytes of the answers held.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    public bool TryGet(long version, string etag, out Answer answer)
    {
        // Answers of an older version can never be asked for again.
        if (Interlocked.Read(ref _version) != version)
            lock (_gate)
                if (_version != version)
                {
                    Clear();
                    _version = version;
                }
        return _answers.TryGetValue(etag, out answer!);
    }

    /// <summary>
    /// Whether the answer under <paramref name="etag"/> was computed before in this version, so that this
    /// computation is worth keeping; the first call for an ETag remembers it and says no.
    /// </summary>
    public bool ComputedBefore(string etag)
    {
        lock (_gate)
        {
            if (!_computedOnce.Add(etag)) return true;
            // Bounded: past it, a query asked for twice may be computed a third time.
            if (_computedOnce.Count > MaxComputedOnce) _computedOnce.Clear();
            return false;
        }
    }

    /// <summary>Whether a body of this many bytes may be kept at all.</summary>
    public bool Fits(long length) => length <= _maxBytes / 4;

    /// <summary>True when the answer is kept: then other requests may send it, and its body must stay as it is.</summary>
    public bool Keep(string etag, Answer answer)
    {
        // One answer larger than a quarter of the store would empty it for itself: it is computed each time.
        if (!Fits(answer.Body.Length)) return false;
        lock (_gate)
        {
            if (_bytes + answer.Body.Length > _maxBytes) ClearAnswers();
            if (!_answers.TryAdd(etag, answer)) return false;
            _bytes += answer.Body.Length;
            return true;
        }
    }

    void Clear()
    {
        ClearAnswers();
        _computedOnce.Clear();
    }

    void ClearAnswers()
    {
        _answers.Clear();
        _bytes = 0;
    }
}
