using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Kodosumi.Api.Auth;
using Kodosumi.Indexer.Store;
using Kodosumi.Indexer.Users;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Kodosumi.Api.Hosting;

/// <summary>
/// ETags for the dashboard's GETs, derived from the index's version rather than from the answer:
/// <c>"v{version}-{hash}"</c> for an operator (a non-operator's tag is keyed, see <see cref="PrivateETagOf"/>), the hash over who asks (user and rights), what (path and query), the
/// users' version (names and rights come from admin.db) and the current window slot (time windows
/// slide: an answer with <c>hours=24</c> may change with no write at all). A poll whose ETag still
/// matches is answered 304 before anything is computed. A JSON answer is kept under its ETag, so many
/// dashboards polling the same view cost one computation. Only JSON is buffered: an answer of another
/// type (a CSV or NDJSON export) streams from its first write and keeps its ETag (it is a function of
/// the same inputs). The live stream gets no ETag; file lists and downloads are not part of the index
/// and are left alone.
/// </summary>
public static class ConditionalGet
{
    public static WebApplication UseConditionalGet(this WebApplication app)
    {
        var slot = app.Services.GetRequiredService<IOptions<DashboardOptions>>().Value.WindowSlot;
        var answers = app.Services.GetRequiredService<KeptAnswers>();
        app.UseWhen(IsDashboardGet, branch => branch.Use(async (context, next) =>
        {
            if (IsUntouched(context.Request.Path))
            {
                await next();
                return;
            }

            var catalog = context.RequestServices.GetRequiredService<ExecutionCatalog>();
            var version = catalog.Version;
            var usersVersion = context.RequestServices.GetRequiredService<UserDirectory>().Version;
            var time = context.RequestServices.GetRequiredService<TimeProvider>();
            var viewer = Viewer.Of(context.User);
            var windowSlot = time.GetUtcNow().Ticks / slot.Ticks;
            var etag = viewer.IsOperator
                ? ETagOf(context, viewer, version, usersVersion, windowSlot)
                : PrivateETagOf(context, viewer, catalog.VersionOf(viewer.UserId), usersVersion, windowSlot);

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
                await Send(response, cached, context.RequestAborted);
                return;
            }

            var body = response.Body;
            var buffer = new JsonOnlyBuffer(response, body);
            response.Body = buffer;
            try
            {
                await next();
            }
            finally
            {
                response.Body = body;
            }
            // An export, or anything else not JSON, has already gone out as it was written.
            if (buffer.PassedThrough) return;
            var answer = new KeptAnswers.Answer(response.ContentType, buffer.Written);
            // Only a 200 is kept and sent with its ETag; any other status goes out as it was written.
            var ok = response.StatusCode == StatusCodes.Status200OK;
            var kept = ok && answers.Keep(etag, answer);
            try
            {
                if (ok) await Send(response, answer, context.RequestAborted);
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
    static bool IsUntouched(PathString path)
    {
        var value = (path.Value ?? "").TrimEnd('/');
        return value.Contains("/files/", StringComparison.Ordinal) || value.EndsWith("/files", StringComparison.Ordinal)
            || value.EndsWith("/stream", StringComparison.Ordinal);
    }

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
        response.Headers.Vary = "Cookie, KODOSUMI_API_KEY, Authorization";
    }

    static async Task Send(HttpResponse response, KeptAnswers.Answer answer, CancellationToken ct)
    {
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = answer.ContentType;
        response.ContentLength = answer.Body.Length;
        await answer.Body.CopyToAsync(response.Body, ct);
    }

    /// <summary>
    /// Keeps what an endpoint writes while its answer is JSON (problem details included); an answer of
    /// any other type (a CSV or NDJSON export) is passed straight on from its first write, so it streams.
    /// </summary>
    sealed class JsonOnlyBuffer(HttpResponse response, Stream inner) : Stream
    {
        bool? _keeping;

        public bool PassedThrough => _keeping == false;
        public ChunkedBody Written { get; } = new();

        bool Keeping => _keeping ??= MediaTypeHeaderValue.TryParse(response.ContentType, out var type)
            && (type.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
                || type.Suffix.Equals("json", StringComparison.OrdinalIgnoreCase));

        public override void Write(byte[] buffer, int offset, int count)
        {
            if (Keeping) Written.Write(buffer.AsSpan(offset, count));
            else inner.Write(buffer, offset, count);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken ct) =>
            WriteAsync(buffer.AsMemory(offset, count), ct).AsTask();

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default)
        {
            if (!Keeping) return inner.WriteAsync(buffer, ct);
            Written.Write(buffer.Span);
            return ValueTask.CompletedTask;
        }

        public override Task FlushAsync(CancellationToken ct) => PassedThrough ? inner.FlushAsync(ct) : Task.CompletedTask;
        public override void Flush() { }

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }

    static bool IsDashboardGet(HttpContext context) =>
        HttpMethods.IsGet(context.Request.Method) && context.Request.Path.StartsWithSegments("/api/dashboard");
}
