using System.Reflection;
using FastEndpoints;
using Kodosumi.Api.Hosting;
using NJsonSchema;
using NSwag;
using NSwag.Generation.AspNetCore;
using NSwag.Generation.Processors;
using NSwag.Generation.Processors.Contexts;
using Namotion.Reflection;

namespace Kodosumi.Api.OpenApi;

/// <summary>
/// Describes each operation from its endpoint's own code: the summary from the endpoint class's XML summary,
/// each parameter's description from its request property's, and a query parameter of a value type as optional
/// with the default its request class gives it (NSwag marks every non-nullable parameter as required).
/// </summary>
sealed class DescribedOperations : IOperationProcessor
{
    public bool Process(OperationProcessorContext context)
    {
        if (context is not AspNetCoreOperationProcessorContext aspNet
            || aspNet.ApiDescription.ActionDescriptor.EndpointMetadata.OfType<EndpointDefinition>().FirstOrDefault() is not { } endpoint)
            return true;
        var operation = context.OperationDescription.Operation;
        if (string.IsNullOrEmpty(operation.Summary)) operation.Summary = TextOf(endpoint.EndpointType.GetXmlDocsSummary());

        var dto = endpoint.ReqDtoType;
        var defaults = dto is not null && dto != typeof(EmptyRequest) && dto.GetConstructor(Type.EmptyTypes) is not null
            ? Activator.CreateInstance(dto)
            : null;
        foreach (var parameter in operation.Parameters)
        {
            if (PropertyOf(dto, parameter.Name) is not { } property) continue;
            if (string.IsNullOrEmpty(parameter.Description)) parameter.Description = TextOf(property.GetXmlDocsSummary());
            if (parameter.Kind != OpenApiParameterKind.Query || !property.PropertyType.IsValueType) continue;
            parameter.IsRequired = false;
            if (defaults is not null && Nullable.GetUnderlyingType(property.PropertyType) is null && parameter.Schema is { } schema)
                schema.Default = property.GetValue(defaults);
        }
        return true;
    }

    /// <summary>The request property a parameter binds to: by its <see cref="BindFromAttribute"/> name, or its own name in any case.</summary>
    static PropertyInfo? PropertyOf(Type? dto, string name) =>
        dto?.GetProperties(BindingFlags.Public | BindingFlags.Instance).FirstOrDefault(p =>
            string.Equals(p.GetCustomAttribute<BindFromAttribute>()?.Name, name, StringComparison.OrdinalIgnoreCase)
            || string.Equals(p.GetCustomAttribute<FromHeaderAttribute>()?.HeaderName, name, StringComparison.OrdinalIgnoreCase)
            || string.Equals(p.Name, name.Replace("_", "", StringComparison.Ordinal), StringComparison.OrdinalIgnoreCase));

    static string? TextOf(string summary) => string.IsNullOrWhiteSpace(summary) ? null : summary.Trim();
}

/// <summary>
/// What every operation answers beyond its own result: a 401 and, where a route names an execution, a 404, both
/// with problem details; a declared 200 replaces FastEndpoints' default 204; a body without a schema is text
/// (or bytes, for a download).
/// </summary>
sealed class ProblemResponses : IDocumentProcessor
{
    const string ProblemJson = "application/problem+json";

    public void Process(DocumentProcessorContext context)
    {
        var problem = context.Document.Components.Schemas.TryGetValue("ProblemDetails", out var known)
            ? new JsonSchema { Reference = known }
            : new JsonSchema { Type = JsonObjectType.Object };
        foreach (var (path, item) in context.Document.Paths)
        foreach (var operation in item.Values)
        {
            if (operation.Responses.ContainsKey("200")) operation.Responses.Remove("204");
            foreach (var media in operation.Responses.Values.SelectMany(r => r.Content))
                media.Value.Schema ??= new JsonSchema
                {
                    Type = JsonObjectType.String, Format = media.Key == "application/octet-stream" ? "binary" : null,
                };
            if (operation.Responses.TryGetValue("401", out var unauthorized))
                Problem(unauthorized, "Not signed in, or the token is not (or no longer) valid.", problem);
            if (path.Contains("{fid}", StringComparison.Ordinal))
                Problem(operation.Responses.TryGetValue("404", out var notFound) ? notFound : operation.Responses["404"] = new OpenApiResponse(),
                    "No execution with this id that the signed-in user may see (another user's execution answers the same).", problem);
        }
    }

    static void Problem(OpenApiResponse response, string description, JsonSchema schema)
    {
        response.Description = description;
        response.Content.Clear();
        response.Content[ProblemJson] = new OpenApiMediaType { Schema = schema };
    }
}
