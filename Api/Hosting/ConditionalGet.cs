using System.Collections.Concurrent;
using System.Security.Cryptography;
using Kodosumi.Indexer.Store;

namespace Kodosumi.Api.Hosting;

/// <summary>
/// ETags for the dashboard's JSON: a hash of the answer, so a page that polls is answered 304 Not
/// Modified while nothing it shows has changed (for that user and those parameters). The same answer
/// is reused for up to a second while the index has not changed, so many dashboards polling the same
/// view cost one computation. File downloads are streamed and left alone.
/// </summary>
public static class ConditionalGet
{
    /// <summary>How stale a reused answer may be: time windows slide and admin.db can change meanwhile.</summary>
    const long MaxAgeMs = 1000;
    const int MaxAnswers = 1024;

    sealed record Answer(long Version, long At, string? ContentType, byte[] Body, string ETag);

    public static WebApplication UseConditionalGet(this WebApplication app)
    {
        // One store per host: catalog versions of two hosts in one process (tests) must never meet.
        var answers = new ConcurrentDictionary<string, Answer>(StringComparer.Ordinal);
        app.UseWhen(IsDashboardJson, branch => branch.Use(async (context, next) =>
        {
            var catalog = context.RequestServices.GetRequiredService<ExecutionCatalog>();
            var version = catalog.Version;
            // Answers differ per user: the key holds who asks as well as what.
            var key = $"{context.User.FindFirst("sub")?.Value}|{context.Request.Path}{context.Request.QueryString}";
            if (answers.TryGetValue(key, out var cached) && cached.Version == version && Environment.TickCount64 - cached.At < MaxAgeMs)
            {
                await Send(context, cached);
                return;
            }

            var body = context.Response.Body;
            using var buffer = new MemoryStream();
            context.Response.Body = buffer;
            try
            {
                await next();
            }
            finally
            {
                context.Response.Body = body;
            }
            if (context.Response.StatusCode != StatusCodes.Status200OK)
            {
                buffer.Position = 0;
                await buffer.CopyToAsync(body, context.RequestAborted);
                return;
            }
            var bytes = buffer.ToArray();
            var answer = new Answer(version, Environment.TickCount64, context.Response.ContentType, bytes,
                $"\"{Convert.ToHexStringLower(SHA256.HashData(bytes))[..32]}\"");
            if (answers.Count >= MaxAnswers) answers.Clear();
            answers[key] = answer;
            await Send(context, answer);
        }));
        return app;
    }

    static async Task Send(HttpContext context, Answer answer)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.Headers.ETag = answer.ETag;
        response.Headers.CacheControl = "private, no-cache";
        response.Headers.Vary = "Cookie, KODOSUMI_API_KEY, Authorization";
        if (context.Request.Headers.IfNoneMatch.Any(v => v is not null && v.Split(',').Any(t => t.Trim() == answer.ETag)))
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            return;
        }
        response.ContentType = answer.ContentType;
        response.ContentLength = answer.Body.Length;
        await response.Body.WriteAsync(answer.Body, context.RequestAborted);
    }

    static bool IsDashboardJson(HttpContext context) =>
        HttpMethods.IsGet(context.Request.Method)
        && context.Request.Path.StartsWithSegments("/api/dashboard", out var rest)
        && !(rest.Value ?? "").Contains("/files/", StringComparison.Ordinal)
        // Exports are streamed, however long: never buffered here, never kept.
        && !(rest.Value ?? "").EndsWith("/export", StringComparison.Ordinal);
}
