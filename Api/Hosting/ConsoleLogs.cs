using Microsoft.Extensions.Logging.Console;

namespace Kodosumi.Api.Hosting;

/// <summary>
/// Console logs as plain text, or one JSON object per line for a log collector: <c>Logging:Console:FormatterName</c>
/// = <c>simple</c> (appsettings.json's default) or <c>json</c> (the image's, <c>Logging__Console__FormatterName</c>).
/// </summary>
public static class ConsoleLogs
{
    public static WebApplicationBuilder AddKodosumiConsoleLogs(this WebApplicationBuilder builder)
    {
        builder.Services.Configure<JsonConsoleFormatterOptions>(o =>
        {
            // A collector orders and correlates lines by an unambiguous time: UTC, ISO 8601, milliseconds.
            o.UseUtcTimestamp = true;
            o.TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";
            o.JsonWriterOptions = new System.Text.Json.JsonWriterOptions { Indented = false };
        });
        return builder;
    }
}
