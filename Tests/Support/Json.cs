using System.Net;
using System.Text.Json;

namespace Kodosumi.Tests.Support;

public static class Json
{
    public static async Task<JsonElement> GetJson(this HttpClient client, string url)
    {
        var response = await client.GetAsync(url);
        var body = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), $"GET {url}: {body}");
        return JsonDocument.Parse(body).RootElement;
    }

    public static string Str(this JsonElement e, string name) => e.GetProperty(name).GetString()!;

    public static double? NumOrNull(this JsonElement e, string name) =>
        e.GetProperty(name).ValueKind == JsonValueKind.Null ? null : e.GetProperty(name).GetDouble();
}
