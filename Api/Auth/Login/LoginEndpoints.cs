using FastEndpoints;

namespace Kodosumi.Api.Auth.Login;

/// <summary>
/// Kodosumi's three ways to sign in share one behaviour: a good login sets the <c>kodosumi_jwt</c> cookie
/// and answers the token; a bad one answers 401; too many bad ones from one client answer 429.
/// </summary>
public abstract class LoginEndpointBase(Logins logins, KodosumiTokens tokens) : Endpoint<LoginRequest, LoginResponse>
{
    public override async Task HandleAsync(LoginRequest req, CancellationToken ct)
    {
        var outcome = await logins.TryAsync(req.Name, req.Password, SessionCookie.ClientOf(HttpContext), ct);
        if (outcome.Limited)
        {
            LoginGate.SetRetryAfter(HttpContext.Response, outcome.RetryAfter);
            await Send.StringAsync(LoginGate.LimitedMessage, StatusCodes.Status429TooManyRequests, cancellation: ct);
            return;
        }
        if (outcome.User is not { } user)
        {
            await Send.ResultAsync(TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized,
                detail: "Wrong name or password, or the role is inactive."));
            return;
        }
        var (token, expires) = tokens.Issue(user);
        SessionCookie.Set(HttpContext, token, expires);
        await Send.OkAsync(new LoginResponse { Name = user.Name, Id = user.Id, KodosumiApiKey = token }, ct);
    }

    /// <summary>What a sign-in answers besides its token, for the API description.</summary>
    protected void DescribeRefusals(bool hasBody = true) => Description(d =>
    {
        d.ProducesProblem(StatusCodes.Status401Unauthorized).Produces(StatusCodes.Status429TooManyRequests, typeof(string), "text/plain");
        if (hasBody) d.Produces(StatusCodes.Status413PayloadTooLarge);
    });
}

/// <summary><c>GET /login?name=&amp;password=</c></summary>
public sealed class LoginQueryEndpoint(Logins logins, KodosumiTokens tokens) : LoginEndpointBase(logins, tokens)
{
    public override void Configure()
    {
        Get("/login");
        AllowAnonymous();
        DescribeRefusals(hasBody: false);
    }
}

/// <summary><c>POST /login</c> with a form.</summary>
public sealed class LoginFormEndpoint(Logins logins, KodosumiTokens tokens) : LoginEndpointBase(logins, tokens)
{
    public override void Configure()
    {
        Post("/login");
        AllowFormData(urlEncoded: true);
        AllowAnonymous();
        DescribeRefusals();
    }
}

/// <summary><c>POST /api/login</c> with JSON <c>{name, password}</c>.</summary>
public sealed class LoginJsonEndpoint(Logins logins, KodosumiTokens tokens) : LoginEndpointBase(logins, tokens)
{
    public override void Configure()
    {
        Post("/api/login");
        AllowAnonymous();
        DescribeRefusals();
    }
}

/// <summary>
/// <c>GET</c> or <c>POST /logout</c>: forgets the cookie, and this service refuses the token from now on
/// (Kodosumi itself would still accept it until it expires).
/// </summary>
public sealed class LogoutEndpoint(RevokedTokens revoked) : EndpointWithoutRequest
{
    public override void Configure()
    {
        Verbs(Http.GET, Http.POST);
        Routes("/logout");
        AllowAnonymous();
    }

    public override async Task HandleAsync(CancellationToken ct)
    {
        // Only the token that signed this request in: anyone may call /logout, and a forged token would
        // otherwise be kept until an expiry of the caller's choosing.
        if (User.Identity?.IsAuthenticated == true && KodosumiTokens.AuthenticatingTokenOf(HttpContext.Request) is { Length: > 0 } token)
            revoked.Revoke(token);
        SessionCookie.Clear(HttpContext);
        await Send.NoContentAsync(ct);
    }
}
