using FastEndpoints;

namespace Kodosumi.Api.Features.Dashboard;

/// <summary>Where the dashboard API is mounted: <c>/api/dashboard</c>, as Kodosumi mounts it.</summary>
public static class DashboardRoutes
{
    public const string Prefix = "/api/dashboard";
}

/// <summary>The group every dashboard endpoint belongs to.</summary>
public sealed class DashboardGroup : Group
{
    public DashboardGroup() => Configure(DashboardRoutes.Prefix.TrimStart('/'), ep => ep.Description(d => d.WithTags("dashboard")));
}
