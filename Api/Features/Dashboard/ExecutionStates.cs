using Kodosumi.Shared.Model;

namespace Kodosumi.Api.Features.Dashboard;

public static class ExecutionStates
{
    /// <summary>Statuses of an execution that has not ended.</summary>
    public static bool IsRunning(ExecutionSummary s) => s.Status is "running" or "starting" or "awaiting";
}
