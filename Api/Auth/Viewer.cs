using System.Security.Claims;
using Kodosumi.Shared.Model;

namespace Kodosumi.Api.Auth;

/// <summary>
/// The signed-in user as the dashboard sees them: operators see every execution, anyone else only their
/// own. Every dashboard endpoint filters through <see cref="CanSee(string)"/>, so the rule lives here once.
/// </summary>
public sealed record Viewer(string UserId, bool IsOperator)
{
    public bool CanSee(string executionUserId) =>
        IsOperator || (UserId.Length > 0 && string.Equals(executionUserId, UserId, StringComparison.OrdinalIgnoreCase));

    public bool CanSee(ExecutionSummary execution) => CanSee(execution.UserId);

    /// <summary>
    /// From the claims <see cref="KodosumiTokens"/> put on the request after checking admin.db; a principal
    /// without them (which the endpoints' auth requirement never lets through) sees nothing.
    /// </summary>
    public static Viewer Of(ClaimsPrincipal user) =>
        new(user.FindFirstValue(KodosumiTokens.SubjectClaim) ?? "", user.HasClaim(KodosumiTokens.OperatorClaim, "true"));
}
