using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using Kodosumi.Api.Auth;
using Kodosumi.Api.Features.Dashboard;
using Kodosumi.Api.Hosting;
using Kodosumi.Indexer;
using Kodosumi.Indexer.Users;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Kodosumi.Api.Caching;

/// <summary>
/// ETags for the dashboard's GETs, derived from the index's version rather than from the answer:
/// <c>"v{version}-{hash}"</c> for an operator (a non-operator's tag is keyed, see <see cref="PrivateETagOf"/>),
/// the hash over who asks (user and rights), what (path and query), the users' version (names and rights
/// come from admin.db) and the current window slot (time windows slide: an answer with <c>hours=24</c> may
/// change with no write at all). A poll whose ETag still matches is answered 304 before anything is
/// computed. A JSON answer is kept under its ETag, so many dashboards polling the same view cost one
/// computation; a large one (an unpaged list) streams as it is written and is kept gzip-compressed. An
/// answer of another type (a CSV or NDJSON export) streams from its first write and keeps its ETag (it is a
/// function of the same inputs). Endpoints marked <see cref="NotFromIndex"/> (the live stream, file lists and
/// downloads) are left alone.
/// </summary>
public static class ConditionalGet
{
    public static WebApplication UseConditionalGet(this WebApplication app)
    {
        var slot = app.Services.GetRequiredService<IOptions<DashboardOptions>>().Value.WindowSlot;
        var answers = app.Services.GetRequiredService<KeptAnswers>();
        app.UseWhen(IsDashboardGet, branch => branch.Use(async (context, next) =>
        {
            if (context.GetEndpoint()?.Metadata.GetMetadata<NotFromIndex>() is not null)
            {
                await next();
                return;
            }

            var index = context.RequestServices.GetRequiredService<IIndexReader>();
            var version = index.Version;
            var usersVersion = context.RequestServices.GetRequiredService<UserDirectory>().Version;
            var time = context.RequestServices.GetRequiredService<TimeProvider>();
            var viewer = Viewer.Of(context.User);
            var windowSlot = time.GetUtcNow().Ticks / slot.Ticks;
            var etag = viewer.IsOperator
                ? ETagOf(context, viewer, version, usersVersion, windowSlot)
                : PrivateETagOf(context, viewer, index.VersionOf(viewer.UserId), usersVersion, windowSlot);

            var response = context.Response;
            if (IfNoneMatch(context.Request, etag))
            {
                SetHeaders(response, etag);
                response.StatusCode = StatusCodes.Status304NotModified;
                return;
            }
            response.OnStarting(() =>
            {
                if (response.StatusCode == StatusCodes.Status200OK) SetHeaders(response, etag);
                return Task.CompletedTask;
            });

            if (answers.TryGet(version, etag, out var cached))
            {
                await Send(context, cached);
                return;
            }

            var body = response.Body;
            var recorder = new AnswerRecorder(response, body, answers.ComputedBefore(etag) ? answers : null);
            response.Body = recorder;
            try
            {
                await next();
                recorder.Complete();
            }
            finally
            {
                response.Body = body;
                recorder.Dispose();
            }
            // Only a 200 is kept and sent with its ETag; any other status goes out as it was written.
            var ok = response.StatusCode == StatusCodes.Status200OK;
            if (recorder.Streamed)
            {
                // Already sent as it was written; what is kept is its compressed copy, if one was made.
                if (recorder.Compressed is { } compressed && !(ok && answers.Keep(etag, new KeptAnswers.Answer(response.ContentType, compressed, Gzip: true))))
                    compressed.Release();
                return;
            }
            if (recorder.PassedThrough) return;
            var answer = new KeptAnswers.Answer(response.ContentType, recorder.Buffered);
            var kept = ok && recorder.Keeping && answers.Keep(etag, answer);
            try
            {
                if (ok) await Send(context, answer);
                else await answer.Body.CopyToAsync(body, context.RequestAborted);
            }
            finally
            {
                // Sent (Kestrel copies what is written), and no other request can reach it.
                if (!kept) answer.Body.Release();
            }
        }));
        return app;
    }

    /// <summary>
    /// The live stream has no ETag (it is no snapshot); file lists and downloads are read from the disk, not
    /// the index: a file rewritten or replaced keeps the index (and so an ETag of it) unchanged.
    /// </summary>
    /// <summary>Distinct per user, rights, request, users' version and window slot; ordered by the index version.</summary>
    static string ETagOf(HttpContext context, Viewer viewer, long version, long usersVersion, long windowSlot)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(Identity(context, viewer, usersVersion, windowSlot))).AsSpan(0, 12);
        return string.Create(CultureInfo.InvariantCulture, $"\"v{version}-{Convert.ToHexStringLower(hash)}\"");
    }

    /// <summary>
    /// For a viewer who sees only their own executions: from the version of their own last change, under a key of this
    /// process, so the tag neither counts nor follows what other users did (a plain hash of a small number is undone by
    /// trying them all).
    /// </summary>
    static string PrivateETagOf(HttpContext context, Viewer viewer, long ownVersion, long usersVersion, long windowSlot)
    {
        var identity = Identity(context, viewer, usersVersion, windowSlot) + string.Create(CultureInfo.InvariantCulture, $"|{ownVersion}");
        var mac = HMACSHA256.HashData(PrivateKey, Encoding.UTF8.GetBytes(identity)).AsSpan(0, 16);
        return $"\"u-{Convert.ToHexStringLower(mac)}\"";
    }

    static readonly byte[] PrivateKey = RandomNumberGenerator.GetBytes(32);

    static string Identity(HttpContext context, Viewer viewer, long usersVersion, long windowSlot) => string.Create(CultureInfo.InvariantCulture,
        $"{viewer.UserId}|{viewer.IsOperator}|{usersVersion}|{windowSlot}|{context.Request.Path}{context.Request.QueryString}");

    static bool IfNoneMatch(HttpRequest request, string etag) =>
        // No "*": a request with bad parameters must still reach its validator and answer 400.
        request.Headers.IfNoneMatch.Any(v => v is not null && v.Split(',').Any(t => t.Trim() == etag));

    static void SetHeaders(HttpResponse response, string etag)
    {
        response.Headers.ETag = etag;
        // An endpoint that asked for less caching keeps it: an export says no-store, a file not to keep.
        if (string.IsNullOrEmpty(response.Headers.CacheControl)) response.Headers.CacheControl = "private, no-cache";
        response.Headers.Vary = "Cookie, KODOSUMI_API_KEY, Authorization, Accept-Encoding";
    }

    static async Task Send(HttpContext context, KeptAnswers.Answer answer)
    {
        var response = context.Response;
        var ct = context.RequestAborted;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = answer.ContentType;
        if (!answer.Gzip || AcceptsGzip(context.Request))
        {
            if (answer.Gzip) response.Headers.ContentEncoding = "gzip";
            response.ContentLength = answer.Body.Length;
            await answer.Body.CopyToAsync(response.Body, ct);
            return;
        }
        await using var unzipped = new GZipStream(answer.Body.ReadStream(), CompressionMode.Decompress);
        await unzipped.CopyToAsync(response.Body, ct);
    }

    static bool AcceptsGzip(HttpRequest request) =>
        request.GetTypedHeaders().AcceptEncoding.Any(e =>
            (e.Value.Equals("gzip", StringComparison.OrdinalIgnoreCase) || e.Value.Equals("*", StringComparison.Ordinal)) && e.Quality is not 0);

    /// <summary>
    /// Holds what an endpoint writes while its answer is JSON and small (problem details included), so it goes
    /// out with a length and can be kept. A JSON answer that grows past <see cref="BufferLimit"/> streams from
    /// then on, so memory stays flat however many large lists are asked for at once; when it is worth keeping
    /// (<paramref name="keeper"/>), a gzip copy is made as it streams. An answer of another type (a CSV or
    /// NDJSON export) is passed straight on from its first write.
    /// </summary>
    sealed class AnswerRecorder(HttpResponse response, Stream inner, KeptAnswers? keeper) : WriteOnlyStream
    {
        const int BufferLimit = 1 << 20;

        bool? _json;
        GZipStream? _zip;

        public ChunkedBody Buffered { get; } = new();
        public bool PassedThrough => _json == false;
        public bool Streamed { get; private set; }
        /// <summary>Whether a buffered answer is worth keeping.</summary>
        public bool Keeping => keeper is not null;
        /// <summary>The gzip copy of a streamed answer, complete once <see cref="Complete"/> has run; null when none was made.</summary>
        public ChunkedBody? Compressed { get; private set; }

        bool Json => _json ??= MediaTypeHeaderValue.TryParse(response.ContentType, out var type)
            && (type.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
                || type.Suffix.Equals("json", StringComparison.OrdinalIgnoreCase));

        public override void Write(byte[] buffer, int offset, int count)
        {
            if (Json && !Streamed && Buffered.Length + count <= BufferLimit) Buffered.Write(buffer.AsSpan(offset, count));
            else WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken ct) =>
            WriteAsync(buffer.AsMemory(offset, count), ct).AsTask();

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default)
        {
            if (!Json)
            {
                await inner.WriteAsync(buffer, ct);
                return;
            }
            if (!Streamed && Buffered.Length + buffer.Length <= BufferLimit)
            {
                Buffered.Write(buffer.Span);
                return;
            }
            if (!Streamed) await StartStreaming(ct);
            await inner.WriteAsync(buffer, ct);
            Record(buffer.Span);
        }

        async Task StartStreaming(CancellationToken ct)
        {
            Streamed = true;
            if (keeper is not null)
            {
                Compressed = new ChunkedBody();
                _zip = new GZipStream(Compressed.AppendStream(), CompressionLevel.Fastest);
                await Buffered.CopyToAsync(_zip, ct);
            }
            await Buffered.CopyToAsync(inner, ct);
            Buffered.Release();
        }

        void Record(ReadOnlySpan<byte> bytes)
        {
            if (_zip is null) return;
            _zip.Write(bytes);
            // Too large to keep even compressed: stop paying for the copy.
            if (!keeper!.Fits(Compressed!.Length)) Drop();
        }

        void Drop()
        {
            _zip?.Dispose();
            _zip = null;
            Compressed?.Release();
            Compressed = null;
        }

        /// <summary>Ends the gzip copy once the endpoint has written everything.</summary>
        public void Complete()
        {
            if (_zip is null) return;
            _zip.Dispose();
            _zip = null;
            if (!keeper!.Fits(Compressed!.Length)) Drop();
        }

        public override Task FlushAsync(CancellationToken ct) => PassedThrough || Streamed ? inner.FlushAsync(ct) : Task.CompletedTask;

        protected override void Dispose(bool disposing)
        {
            // A request that failed midway leaves its copy unfinished: nothing keeps it.
            if (disposing && _zip is not null) Drop();
            base.Dispose(disposing);
        }
    }

    static bool IsDashboardGet(HttpContext context) =>
        HttpMethods.IsGet(context.Request.Method) && context.Request.Path.StartsWithSegments(DashboardRoutes.Prefix);
}
