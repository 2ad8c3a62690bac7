using System.Net;
using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using FastEndpoints;
using Kodosumi.Shared.Demo;
using Kodosumi.Tests.Support;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Kodosumi.Tests.Integration;

/// <summary>The generated OpenAPI document against what the app really maps.</summary>
public partial class OpenApiTests
{
    string _dataDir = "";
    IndexerHost _host = null!;
    JsonElement _document;

    [OneTimeSetUp]
    public async Task Start()
    {
        _dataDir = TempDirs.Create("kodo-openapi");
        new DemoDataGenerator(new DemoOptions { Executions = 3, Seed = 2 }).Generate(_dataDir);
        _host = new IndexerHost(_dataDir);
        (await _host.StartAsync()).Dispose();
        using var anonymous = _host.CreateClient();
        var response = await anonymous.GetAsync("/openapi/v1.json");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the document needs no token");
        _document = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    [OneTimeTearDown]
    public void Stop()
    {
        _host.Dispose();
        TempDirs.Delete(_dataDir);
    }

    /// <summary>Every route the app maps for an API (not the HTML pages, which opt out), with its methods.</summary>
    List<(string Path, string Method, Endpoint Endpoint)> MappedApi() =>
        _host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
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
}
