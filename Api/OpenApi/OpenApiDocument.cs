using FastEndpoints.Swagger;
using Kodosumi.Api.Hosting;
using NSwag;
using NSwag.Generation.Processors;
using NSwag.Generation.Processors.Contexts;

namespace Kodosumi.Api.OpenApi;

/// <summary>
/// The API described by FastEndpoints.Swagger (NSwag) from the endpoints themselves, served at
/// <c>/openapi/v1.json</c> without a token: it shows the API's shape, no data. The HTML pages are
/// not part of it; <c>/health/*</c> and <c>/metrics</c> are added by hand, as they are not endpoints
/// of an API description.
/// </summary>
public static class OpenApiDocument
{
    public const string Route = "/openapi/{documentName}.json";
    public const string Name = "v1";

    public static IServiceCollection AddKodosumiOpenApi(this IServiceCollection services) =>
        services.SwaggerDocument(o =>
        {
            o.EnableJWTBearerAuth = false;
            o.ShortSchemaNames = true;
            o.DocumentSettings = s =>
            {
                s.DocumentName = Name;
                s.Title = "Kodosumi Indexer";
                s.Version = Name;
                s.Description = "Kodosumi's dashboard API served from a summary index. Kodosumi's token goes in the header KODOSUMI_API_KEY or the cookie kodosumi_jwt.";
                s.AddAuth("KODOSUMI_API_KEY", new OpenApiSecurityScheme
                {
                    Type = OpenApiSecuritySchemeType.ApiKey, In = OpenApiSecurityApiKeyLocation.Header, Name = "KODOSUMI_API_KEY",
                });
                s.AddAuth("kodosumi_jwt", new OpenApiSecurityScheme
                {
                    Type = OpenApiSecuritySchemeType.ApiKey, In = OpenApiSecurityApiKeyLocation.Cookie, Name = "kodosumi_jwt",
                });
                s.OperationProcessors.Add(new DescribedOperations());
                s.DocumentProcessors.Add(new ProblemResponses());
                s.DocumentProcessors.Add(new OperationalRoutes());
                s.DocumentProcessors.Add(new CatchAllRoutes());
            };
        });

    public static WebApplication UseKodosumiOpenApi(this WebApplication app)
    {
        app.UseOpenApi(c => c.Path = Route);
        return app;
    }

    /// <summary>The open routes that scrapers and orchestrators call.</summary>
    sealed class OperationalRoutes : IDocumentProcessor
    {
        public void Process(DocumentProcessorContext context)
        {
            Add(context.Document, "/health/live", "Liveness: 200 while the process answers.", "application/json", null);
            Add(context.Document, "/health/ready", "Readiness: 503 until the first full scan is committed or while the index is rebuilt; then 200, Healthy or Degraded (the index cannot be written, or the watcher is down: answers come from what was committed); JSON details.",
                "application/json", "503");
            Add(context.Document, "/metrics", "Prometheus text format: executions by status, indexing lag, fold rate, problems, request latency. No per-user data.",
                "text/plain", null);
        }

        static void Add(NSwag.OpenApiDocument document, string path, string summary, string contentType, string? otherStatus)
        {
            var operation = new OpenApiOperation { Summary = summary, OperationId = path.Trim('/').Replace('/', '_') };
            operation.Tags.Add("operations");
            operation.Security = [];
            operation.Responses["200"] = new OpenApiResponse { Description = "OK", Content = { [contentType] = new OpenApiMediaType() } };
            if (otherStatus is not null)
                operation.Responses[otherStatus] = new OpenApiResponse { Description = "Not ready or unhealthy", Content = { [contentType] = new OpenApiMediaType() } };
            document.Paths[path] = new OpenApiPathItem { [OpenApiOperationMethod.Get] = operation };
        }
    }

    /// <summary>
    /// NSwag writes a catch-all route parameter as <c>{**path}</c> and lists it once more as a query
    /// parameter; OpenAPI knows only <c>{path}</c> (its value here may hold slashes).
    /// </summary>
    sealed class CatchAllRoutes : IDocumentProcessor
    {
        public void Process(DocumentProcessorContext context)
        {
            foreach (var (path, item) in context.Document.Paths.Where(p => p.Key.Contains("{**", StringComparison.Ordinal)).ToList())
            {
                context.Document.Paths.Remove(path);
                context.Document.Paths[path.Replace("{**", "{", StringComparison.Ordinal)] = item;
                foreach (var operation in item.Values)
                {
                    var catchAll = operation.Parameters.Where(p => p.Kind == OpenApiParameterKind.Path && p.Name.StartsWith("**", StringComparison.Ordinal)).ToList();
                    foreach (var parameter in catchAll)
                    {
                        var name = parameter.Name[2..];
                        foreach (var twin in operation.Parameters.Where(p => p.Kind == OpenApiParameterKind.Query && p.Name == name).ToList())
                            operation.Parameters.Remove(twin);
                        parameter.Name = name;
                        parameter.Description ??= "a path below the folder; may contain slashes";
                    }
                }
            }
        }
    }
}
