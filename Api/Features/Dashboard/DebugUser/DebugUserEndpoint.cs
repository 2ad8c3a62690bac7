using FastEndpoints;
using Kodosumi.Api.Auth;

namespace Kodosumi.Api.Features.Dashboard.DebugUser;

/// <summary>The signed-in user as Kodosumi's <c>/debug/user</c> shows them.</summary>
public sealed class DebugUserEndpoint(Accounts accounts) : EndpointWithoutRequest<DebugUserResponse>
{
    public override void Configure()
    {
        Get("debug/user");
        Group<DashboardGroup>();
    }

    public override async Task HandleAsync(CancellationToken ct)
    {
        // The token was checked against the same accounts a moment ago; a role removed since is not found.
        if (accounts.Find(Viewer.Of(User).UserId) is not { } user)
        {
            await Send.UnauthorizedAsync(ct);
            return;
        }
        await Send.OkAsync(new DebugUserResponse(user.Id, user.Name, user.Email, user.Operator, user.Active), ct);
    }
}

/// <summary>Kodosumi's fields: the role id (hyphenated), name, e-mail, operator and active flags.</summary>
public sealed record DebugUserResponse(string UserId, string Name, string Email, bool Operator, bool Active);
