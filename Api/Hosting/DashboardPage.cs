namespace Kodosumi.Api.Hosting;

/// <summary>
/// The Analytics Dashboard page: one static HTML file (wwwroot/dashboard/index.html) with its ES modules
/// beside it and Beer CSS and D3 in wwwroot/vendor, served at Kodosumi's address <c>/admin/dashboard</c>.
/// </summary>
public static class DashboardPage
{
    public const string Route = "/admin/dashboard";
    const string File = "dashboard/index.html";

    public static WebApplication UseDashboardPage(this WebApplication app)
    {
        app.UseStaticFiles();
        app.MapGet("/", () => Results.Redirect(Route)).ExcludeFromDescription();
        app.MapMethods(Route, ["GET", "HEAD"], (IWebHostEnvironment env, HttpContext http) =>
        {
            var page = env.WebRootFileProvider.GetFileInfo(File);
            if (!page.Exists || page.PhysicalPath is null) return Results.NotFound();
            // The page is small and changes with each deployment: always revalidate.
            http.Response.Headers.CacheControl = "no-cache";
            return Results.File(page.PhysicalPath, "text/html; charset=utf-8");
        }).WithName("DashboardPage").ExcludeFromDescription();
        return app;
    }
}
