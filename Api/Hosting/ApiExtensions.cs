using System.Text.Json;
using FastEndpoints;
using Kodosumi.Api.Auth;
using Kodosumi.Api.Auth.Login;
using Kodosumi.Api.Caching;
using Kodosumi.Api.Features.Dashboard;
using Kodosumi.Api.Features.Dashboard.Stalls;
using Kodosumi.Api.Health;
using Kodosumi.Api.Metrics;
using Kodosumi.Api.OpenApi;

namespace Kodosumi.Api.Hosting;

public static class ApiExtensions
{
    public const string DefaultUrl = "http://localhost:3371";

    public static WebApplicationBuilder AddKodosumiApi(this WebApplicationBuilder builder)
    {
        if (string.IsNullOrEmpty(builder.Configuration["urls"])) builder.WebHost.UseUrls(DefaultUrl);
        builder.AddKodosumiConsoleLogs();
        builder.AddKodosumiTelemetry();
        builder.Services.AddKodosumiAuth();
        builder.Services.AddFastEndpoints();
        builder.Services.AddKodosumiHealth();
        builder.Services.AddKodosumiMetrics();
        builder.Services.AddKodosumiOpenApi();
        builder.Services.AddKodosumiProblemAnswers();
        builder.Services.AddOptions<DashboardOptions>().BindConfiguration(DashboardOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<KeptAnswers>();
        builder.Services.AddSingleton<StallClock>();
        builder.Services.AddHostedService<StalledWatch>();
        return builder;
    }

    public static WebApplication UseKodosumiApi(this WebApplication app)
    {
        app.UseKodosumiProblemAnswers();
        app.UseKodosumiHttpMetrics();
        app.UseSecurityHeaders();
        // Before the endpoints: every dashboard endpoint needs a user; /health/* and /login stay open.
        app.UseKodosumiAuth();
        // Before any login body is read: cross-site sign-ins and logouts refused, then the failed-login budget and the size limit.
        app.UseSameSiteRequests();
        app.UseLoginGate();
        app.UseIndexReadyGate();
        app.UseConditionalGet();
        app.UseFastEndpoints(c =>
        {
            // Kodosumi's JSON is snake_case; bad parameters answer RFC 9457 problem details naming them.
            c.Serializer.Options.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            c.Serializer.Options.Converters.Add(new FiniteNumbers());
            c.Serializer.Options.Converters.Add(new ExecutionRowWriter());
            c.Errors.UseProblemDetails();
        });
        app.MapKodosumiHealth();
        app.MapKodosumiMetrics();
        app.UseKodosumiOpenApi();
        app.UseDashboardPage();
        return app;
    }
}
