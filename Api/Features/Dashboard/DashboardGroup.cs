using FastEndpoints;

namespace Kodosumi.Api.Features.Dashboard;

/// <summary>Kodosumi mounts its dashboard API at <c>/api/dashboard</c>; so does this service.</summary>
public sealed class DashboardGroup : Group
{
    public DashboardGroup() => Configure("api/dashboard", ep => ep.Description(d => d.WithTags("dashboard")));
}
