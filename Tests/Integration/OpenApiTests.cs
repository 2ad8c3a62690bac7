using System.Net;
using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using FastEndpoints;
using Kodosumi.Api.OpenApi;
using Kodosumi.Shared.Demo;
using Kodosumi.Tests.Support;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Kodosumi.Tests.Integration;

/// <summary>The generated OpenAPI document against what the app really maps.</summary>
[Category("Integration")]
public partial class OpenApiTests : InProcessHostTest
{
    JsonElement _document;
    Microsoft.OpenApi.Models.OpenApiDocument _parsed = null!;
    Microsoft.OpenApi.Readers.OpenApiDiagnostic _diagnostic = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        CreateDataDir("kodo-openapi", new DemoOptions { Executions = 3, Seed = 2 });
        await StartHostAsync();
        using var anonymous = Host.CreateClient();
        var response = await anonymous.GetAsync("/openapi/v1.json");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the document needs no token");
        var text = await response.Content.ReadAsStringAsync();
        _document = JsonDocument.Parse(text).RootElement.Clone();
        _parsed = new Microsoft.OpenApi.Readers.OpenApiStringReader().Read(text, out _diagnostic);
    }

    /// <summary>Every route the app maps for an API (not the HTML pages, which opt out), with its methods.</summary>
    List<(string Path, string Method, Endpoint Endpoint)> MappedApi() =>
        Host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.IExcludeFromDescriptionMetadata>() is not { ExcludeFromDescription: true })
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["GET"])
                .Where(m => m != "HEAD")
                .Select(m => (PathOf(e.RoutePattern.RawText!), m.ToLowerInvariant(), (Endpoint)e)))
            .ToList();

    /// <summary><c>api/dashboard/execution/{fid:regex(..)}/files/{**path}</c> → <c>/api/dashboard/execution/{fid}/files/{path}</c>.</summary>
    static string PathOf(string raw) => "/" + Parameter().Replace(raw.TrimStart('/'), m => "{" + m.Groups["name"].Value + "}");

    [GeneratedRegex(@"\{\**(?<name>[A-Za-z_][A-Za-z0-9_]*)[^}]*\}")]
    private static partial Regex Parameter();

    [Test]
    public void The_document_is_openapi_3()
    {
        Assert.That(_document.GetProperty("openapi").GetString(), Does.StartWith("3."));
        Assert.That(_document.GetProperty("info").GetProperty("title").GetString(), Is.Not.Empty);
    }

    [Test]
    public void Every_mapped_endpoint_is_in_the_document()
    {
        var mapped = MappedApi();
        Assert.That(mapped.Select(m => m.Path), Does.Contain("/api/dashboard/running-agents").And.Contain("/metrics").And.Contain("/health/ready"),
            "the data source is the app's own");
        var paths = _document.GetProperty("paths");
        Assert.Multiple(() =>
        {
            foreach (var (path, method, _) in mapped)
                Assert.That(paths.TryGetProperty(path, out var item) && item.TryGetProperty(method, out _), $"{method.ToUpperInvariant()} {path} is documented");
        });
        var documented = paths.EnumerateObject().Select(p => p.Name).ToHashSet();
        Assert.That(documented, Is.EquivalentTo(mapped.Select(m => m.Path).ToHashSet()), "nothing is documented that is not mapped");
    }

    [Test]
    public void Query_parameters_of_every_get_endpoint_are_documented()
    {
        var paths = _document.GetProperty("paths");
        var checkedOne = false;
        foreach (var (path, method, endpoint) in MappedApi().Where(m => m.Method == "get"))
        {
            if (endpoint.Metadata.GetMetadata<EndpointDefinition>()?.ReqDtoType is not { } dto || dto == typeof(EmptyRequest)) continue;
            var routeNames = Parameter().Matches(path).Select(m => m.Groups["name"].Value).ToHashSet(StringComparer.OrdinalIgnoreCase);
            var expected = dto.GetProperties(BindingFlags.Public | BindingFlags.Instance)
                .Where(p => p.CanWrite && p.GetCustomAttribute<FromHeaderAttribute>() is null && !routeNames.Contains(p.Name))
                .Select(p => p.GetCustomAttribute<BindFromAttribute>()?.Name ?? p.Name)
                .ToList();
            var documented = paths.GetProperty(path).GetProperty(method).TryGetProperty("parameters", out var ps)
                ? ps.EnumerateArray().Where(p => p.GetProperty("in").GetString() == "query").Select(p => p.GetProperty("name").GetString()!).ToList()
                : [];
            Assert.That(documented, Is.EquivalentTo(expected).Using((IEqualityComparer<string>)StringComparer.OrdinalIgnoreCase), $"query parameters of GET {path}");
            checkedOne |= expected.Count > 0;
        }
        Assert.That(checkedOne, "some endpoint has query parameters");
    }

    /// <summary>Every operation of the parsed document, with its path and method.</summary>
    IEnumerable<(string Path, string Method, Microsoft.OpenApi.Models.OpenApiOperation Operation)> Operations() =>
        _parsed.Paths.SelectMany(p => p.Value.Operations.Select(o => (p.Key, o.Key.ToString().ToUpperInvariant(), o.Value)));

    [Test]
    public void An_openapi_parser_reads_the_document_without_errors()
    {
        Assert.That(_diagnostic.Errors, Is.Empty, string.Join("; ", _diagnostic.Errors.Select(e => $"{e.Pointer}: {e.Message}")));
        Assert.That(Operations().Count(), Is.GreaterThan(10));
    }

    [Test]
    public void Every_operation_has_a_summary_and_every_parameter_a_description()
    {
        Assert.Multiple(() =>
        {
            foreach (var (path, method, operation) in Operations())
            {
                Assert.That(operation.Summary, Is.Not.Null.And.Not.Empty, $"{method} {path}");
                foreach (var parameter in operation.Parameters)
                    Assert.That(parameter.Description, Is.Not.Null.And.Not.Empty, $"{parameter.Name} of {method} {path}");
            }
        });
    }

    [Test]
    public void Only_the_login_names_and_passwords_are_required_query_parameters()
    {
        var required = Operations().SelectMany(o => o.Operation.Parameters
                .Where(p => p.In == Microsoft.OpenApi.Models.ParameterLocation.Query && p.Required)
                .Select(p => $"{o.Method} {o.Path} {p.Name}"))
            .ToList();
        Assert.That(required, Is.EquivalentTo(new[] { "GET /login name", "GET /login password" }));
        var hours = _parsed.Paths["/api/dashboard/running-agents"].Operations[Microsoft.OpenApi.Models.OperationType.Get].Parameters.Single(p => p.Name == "hours");
        Assert.That(hours.Schema.Default, Is.InstanceOf<Microsoft.OpenApi.Any.OpenApiDouble>().Or.InstanceOf<Microsoft.OpenApi.Any.OpenApiInteger>(), "its default is documented");
    }

    [TestCase("/api/dashboard/running-agents/export", "text/csv", "application/x-ndjson")]
    [TestCase("/api/dashboard/stream", "text/event-stream")]
    [TestCase("/api/dashboard/execution/{fid}/files/{folder}/{path}", "application/octet-stream")]
    [TestCase("/api/dashboard/running-agents", "application/json")]
    public void Answers_declare_their_content_types(string path, params string[] types)
    {
        var responses = _parsed.Paths[path].Operations[Microsoft.OpenApi.Models.OperationType.Get].Responses;
        Assert.That(responses.Keys, Does.Not.Contain("204"), "what it answers is a 200 with a body");
        Assert.That(responses["200"].Content.Keys, Is.EquivalentTo(types));
    }

    [Test]
    public void Unauthorized_and_not_found_are_declared_with_problem_details_where_they_happen()
    {
        Assert.Multiple(() =>
        {
            foreach (var (path, method) in new[] { ("/login", Microsoft.OpenApi.Models.OperationType.Get), ("/login", Microsoft.OpenApi.Models.OperationType.Post), ("/api/login", Microsoft.OpenApi.Models.OperationType.Post) })
            {
                var responses = _parsed.Paths[path].Operations[method].Responses;
                Assert.That(responses.TryGetValue("401", out var refused) && refused.Content.ContainsKey("application/problem+json"), $"401 of {method} {path}");
                Assert.That(responses.Keys, Does.Contain("429"), $"{method} {path}");
            }
            foreach (var (path, method, operation) in Operations().Where(o => o.Path.StartsWith("/api/dashboard/", StringComparison.Ordinal)))
            {
                Assert.That(operation.Responses.TryGetValue("401", out var unauthorized) && unauthorized.Content.ContainsKey("application/problem+json"),
                    $"401 of {method} {path}");
                if (path.Contains("{fid}", StringComparison.Ordinal))
                    Assert.That(operation.Responses.TryGetValue("404", out var notFound) && notFound.Content.ContainsKey("application/problem+json"),
                        $"404 of {method} {path}");
            }
        });
    }
}
