using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Kodosumi.Api.Auth;
using Kodosumi.Indexer.Store;
using Kodosumi.Indexer.Users;
using Microsoft.Extensions.Options;

namespace Kodosumi.Api.Hosting;

/// <summary>
/// ETags for the dashboard's GETs, derived from the index's version rather than from the answer:
/// <c>"v{version}-{hash}"</c>, the hash over who asks (user and rights), what (path and query), the
/// users' version (names and rights come from admin.db) and the current window slot (time windows
/// slide: an answer with <c>hours=24</c> may change with no write at all). A poll whose ETag still
/// matches is answered 304 before anything is computed. A JSON answer is kept under its ETag, so many
/// dashboards polling the same view cost one computation. Streamed answers (<c>.../stream</c>,
/// <c>.../export</c>) are never buffered; the live stream gets no ETag, an export does (it is a
/// function of the same inputs); file downloads are not part of the index and are left alone.
/// </summary>
public static class ConditionalGet
{
    const int MaxAnswers = 1024;

    sealed record Answer(string? ContentType, byte[] Body);

    public static WebApplication UseConditionalGet(this WebApplication app)
    {
        var slot = app.Services.GetRequiredService<IOptions<DashboardOptions>>().Value.WindowSlot;
        // One store per host: versions of two hosts in one process (tests) must never meet.
        var answers = new ConcurrentDictionary<string, Answer>(StringComparer.Ordinal);
        long answersVersion = -1;
        app.UseWhen(IsDashboardGet, branch => branch.Use(async (context, next) =>
        {
            var kind = KindOf(context.Request.Path);
            if (kind == AnswerKind.Untouched)
            {
                await next();
                return;
            }

            var version = context.RequestServices.GetRequiredService<ExecutionCatalog>().Version;
            var usersVersion = context.RequestServices.GetRequiredService<UserDirectory>().Version;
            var time = context.RequestServices.GetRequiredService<TimeProvider>();
            var etag = ETagOf(context, version, usersVersion, time.GetUtcNow().Ticks / slot.Ticks);

            var response = context.Response;
            if (IfNoneMatch(context.Request, etag))
            {
                SetHeaders(response, etag);
                response.StatusCode = StatusCodes.Status304NotModified;
                return;
            }
            if (kind == AnswerKind.Streamed)
            {
                response.OnStarting(() =>
                {
                    if (response.StatusCode == StatusCodes.Status200OK) SetHeaders(response, etag);
                    return Task.CompletedTask;
                });
                await next();
                return;
            }

            // Answers of an older version can never be asked for again.
            if (Interlocked.Exchange(ref answersVersion, version) != version) answers.Clear();
            if (answers.TryGetValue(etag, out var cached))
            {
                await Send(response, etag, cached, context.RequestAborted);
                return;
            }

            var body = response.Body;
            using var buffer = new MemoryStream();
            response.Body = buffer;
            try
            {
                await next();
            }
            finally
            {
                response.Body = body;
            }
            buffer.Position = 0;
            if (response.StatusCode != StatusCodes.Status200OK)
            {
                await buffer.CopyToAsync(body, context.RequestAborted);
                return;
            }
            var answer = new Answer(response.ContentType, buffer.ToArray());
            if (answers.Count >= MaxAnswers) answers.Clear();
            answers[etag] = answer;
            await Send(response, etag, answer, context.RequestAborted);
        }));
        return app;
    }

    enum AnswerKind { Buffered, Streamed, Untouched }

    static AnswerKind KindOf(PathString path)
    {
        var value = path.Value ?? "";
        if (value.Contains("/files/", StringComparison.Ordinal)) return AnswerKind.Untouched;
        var last = value.TrimEnd('/').Split('/')[^1];
        return last switch
        {
            "stream" => AnswerKind.Untouched,
            "export" => AnswerKind.Streamed,
            _ => AnswerKind.Buffered,
        };
    }

    /// <summary>Distinct per user, rights, request, users' version and window slot; ordered by the index version.</summary>
    static string ETagOf(HttpContext context, long version, long usersVersion, long windowSlot)
    {
        var viewer = Viewer.Of(context.User);
        var identity = string.Create(CultureInfo.InvariantCulture,
            $"{viewer.UserId}|{viewer.IsOperator}|{usersVersion}|{windowSlot}|{context.Request.Path}{context.Request.QueryString}");
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(identity)).AsSpan(0, 12);
        return string.Create(CultureInfo.InvariantCulture, $"\"v{version}-{Convert.ToHexStringLower(hash)}\"");
    }

    static bool IfNoneMatch(HttpRequest request, string etag) =>
        // No "*": a request with bad parameters must still reach its validator and answer 400.
        request.Headers.IfNoneMatch.Any(v => v is not null && v.Split(',').Any(t => t.Trim() == etag));

    static void SetHeaders(HttpResponse response, string etag)
    {
        response.Headers.ETag = etag;
        response.Headers.CacheControl = "private, no-cache";
        response.Headers.Vary = "Cookie, KODOSUMI_API_KEY, Authorization";
    }

    static async Task Send(HttpResponse response, string etag, Answer answer, CancellationToken ct)
    {
        response.StatusCode = StatusCodes.Status200OK;
        SetHeaders(response, etag);
        response.ContentType = answer.ContentType;
        response.ContentLength = answer.Body.Length;
        await response.Body.WriteAsync(answer.Body, ct);
    }

    static bool IsDashboardGet(HttpContext context) =>
        HttpMethods.IsGet(context.Request.Method) && context.Request.Path.StartsWithSegments("/api/dashboard");
}
