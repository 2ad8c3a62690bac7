using Kodosumi.Api.Metrics;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Kodosumi.Api.Hosting;

/// <summary>
/// OpenTelemetry over OTLP, only when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set: traces of the HTTP requests, the
/// indexer's meter, .NET's runtime and ASP.NET Core meters. The exporter reads the other <c>OTEL_*</c> settings itself.
/// </summary>
public static class Telemetry
{
    public const string EndpointSetting = "OTEL_EXPORTER_OTLP_ENDPOINT";
    public const string ServiceName = "kodosumi-indexer";

    public static WebApplicationBuilder AddKodosumiTelemetry(this WebApplicationBuilder builder)
    {
        if (string.IsNullOrWhiteSpace(builder.Configuration[EndpointSetting])) return builder;
        builder.Services.AddOpenTelemetry()
            // Named last, so it would win over OTEL_SERVICE_NAME: take that name when one is given.
            .ConfigureResource(r => r.AddService(builder.Configuration["OTEL_SERVICE_NAME"] is { Length: > 0 } name ? name : ServiceName,
                serviceVersion: BuildVersion.Value))
            .WithTracing(t => t
                // Probes and scrapes come every few seconds and say nothing about the service's work.
                .AddAspNetCoreInstrumentation(o => o.Filter = context =>
                    !context.Request.Path.StartsWithSegments("/health") && !context.Request.Path.StartsWithSegments("/metrics"))
                .AddOtlpExporter())
            .WithMetrics(m => m
                .AddMeter(IndexMeter.Name)
                .AddAspNetCoreInstrumentation()
                .AddRuntimeInstrumentation()
                .AddOtlpExporter());
        return builder;
    }
}
