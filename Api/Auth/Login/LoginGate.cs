namespace Kodosumi.Api.Auth.Login;

/// <summary>
/// In front of every login route: a client without tries left is answered 429 before its body is read, and a body
/// larger than <see cref="MaxBodyBytes"/> is answered 413 without being read to its end. Only what passes is handed
/// on, read into memory, so the endpoints never parse more than a small form.
/// </summary>
public static class LoginGate
{
    public const int MaxBodyBytes = 16 * 1024;
    public const string LimitedMessage = "too many failed logins; try again later";

    public static readonly string[] Routes = ["/login", "/api/login", "/admin/login"];

    public static WebApplication UseLoginGate(this WebApplication app)
    {
        app.UseWhen(IsLogin, branch => branch.Use(async (context, next) =>
        {
            var logins = context.RequestServices.GetRequiredService<Logins>();
            var request = context.Request;
            if (HttpMethods.IsPost(request.Method) || HttpMethods.IsGet(request.Method))
            {
                if (logins.IsBlocked(SessionCookie.ClientOf(context), out var retryAfter))
                {
                    SetRetryAfter(context.Response, retryAfter);
                    context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
                    await context.Response.WriteAsync(LimitedMessage, context.RequestAborted);
                    return;
                }
            }
            if (request.ContentLength > MaxBodyBytes || await ReadSmallBody(request, context.RequestAborted) is false)
            {
                // The rest of the body is not read: the connection closes after this answer.
                context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
                context.Response.Headers.Connection = "close";
                return;
            }
            await next();
        }));
        return app;
    }

    public static void SetRetryAfter(HttpResponse response, TimeSpan wait) =>
        response.Headers.RetryAfter = ((int)Math.Ceiling(wait.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Reads the body into memory if it fits; false when it is longer (a chunked body says its size only by its end).</summary>
    static async Task<bool> ReadSmallBody(HttpRequest request, CancellationToken ct)
    {
        if (request.ContentLength == 0 || (request.ContentLength is null && !request.Headers.ContainsKey("Transfer-Encoding"))) return true;
        var buffer = new byte[MaxBodyBytes + 1];
        var length = 0;
        int read;
        while (length < buffer.Length && (read = await request.Body.ReadAsync(buffer.AsMemory(length), ct)) > 0) length += read;
        if (length > MaxBodyBytes) return false;
        request.Body = new MemoryStream(buffer, 0, length, writable: false);
        return true;
    }

    static bool IsLogin(HttpContext context) =>
        Routes.Any(r => context.Request.Path.Equals(r, StringComparison.OrdinalIgnoreCase));
}
