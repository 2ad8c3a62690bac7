using System.Globalization;
using System.Net;
using System.Text.Json;
using CsvHelper;
using Kodosumi.Shared.Demo;
using Kodosumi.Tests.Support;
using static Kodosumi.Tests.Integration.Query.QueryDataSet;

namespace Kodosumi.Tests.Integration.Query;

/// <summary>
/// The export streams every row of the list (same filters, same order, no page limit): CSV read back with
/// CsvHelper, NDJSON line by line, both equal to the JSON list.
/// </summary>
[Category("Integration")]
public class ExportTests
{
    const string Export = Dashboard + "/running-agents/export";
    static readonly char[] FormulaStarts = ['=', '+', '-', '@', '\t', '\r'];

    static async Task<List<JsonElement>> JsonList(HttpClient client, string query) =>
        (await client.GetJson($"{Dashboard}/running-agents?{query}&limit=5000")).GetProperty("agents").EnumerateArray().ToList();

    static async Task<(HttpResponseMessage Response, byte[] Body)> Get(HttpClient client, string url)
    {
        var response = await client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead);
        var body = await response.Content.ReadAsByteArrayAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), System.Text.Encoding.UTF8.GetString(body));
        return (response, body);
    }

    /// <summary>What a text cell must hold: the JSON value, with a leading quote when a spreadsheet would take it for a formula.</summary>
    static string TextCell(string? value) =>
        value is { Length: > 0 } && FormulaStarts.Contains(value[0]) ? "'" + value : value ?? "";

    static string? Str(JsonElement row, string name) =>
        row.GetProperty(name).ValueKind == JsonValueKind.Null ? null : row.Str(name);

    [TestCase("hours=999999")]
    [TestCase("hours=999999&sort=runtime&order=desc&status=finished")]
    [TestCase("hours=999999&sort=agent&tags=Research")]
    public async Task Csv_read_back_equals_the_json_list(string query)
    {
        var expected = await JsonList(Operator, query);
        var (response, body) = await Get(Operator, $"{Export}?{query}&format=csv");
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/csv"));
        Assert.That(response.Content.Headers.ContentDisposition?.DispositionType, Is.EqualTo("attachment"));
        Assert.That(response.Content.Headers.ContentDisposition?.FileName?.Trim('"'), Does.EndWith(".csv"));
        Assert.That(response.Headers.CacheControl?.NoStore, Is.True, "an export is a file not to be kept by caches");

        using var csv = CsvReader.Create(body);
        var rows = 0;
        Assert.Multiple(() =>
        {
            while (csv.Read())
            {
                var json = expected[rows++];
                foreach (var column in new[] { "fid", "user_id", "user_name", "agent_name", "status", "error", "problem", "warning" })
                    Assert.That(csv.GetString(column), Is.EqualTo(TextCell(Str(json, column))), $"{json.Str("fid")} {column}");
                foreach (var column in new[] { "error_timestamp", "start_time", "end_time", "runtime", "upload_count", "download_count", "error_count", "event_count" })
                {
                    var cell = csv.GetString(column);
                    Assert.That(cell == "" ? (double?)null : double.Parse(cell, CultureInfo.InvariantCulture),
                        Is.EqualTo(json.NumOrNull(column)), $"{json.Str("fid")} {column}");
                }
                Assert.That(csv.GetString("tags"), Is.EqualTo(TextCell(string.Join('|', json.GetProperty("tags").EnumerateArray().Select(t => t.GetString())))));
                // An execution that wrote no meta yet has none: an empty cell.
                var meta = csv.GetString("meta");
                if (meta == "") Assert.That(json.GetProperty("meta").ValueKind, Is.EqualTo(JsonValueKind.Null), json.Str("fid"));
                else Assert.That(JsonElement.DeepEquals(JsonDocument.Parse(meta).RootElement, json.GetProperty("meta")), json.Str("fid"));
            }
        });
        Assert.That(rows, Is.EqualTo(expected.Count));
    }

    [Test]
    public async Task Csv_cells_that_look_like_formulas_are_escaped()
    {
        var (_, body) = await Get(Operator, $"{Export}?hours=999999&format=csv&search={FormulaFid}");
        using var csv = CsvReader.Create(body);
        Assert.That(csv.Read(), Is.True);
        Assert.That(csv.GetString("fid"), Is.EqualTo(FormulaFid));
        Assert.That(csv.GetString("agent_name"), Does.StartWith("'=HYPERLINK("));
        Assert.That(csv.GetString("error"), Is.EqualTo("'-1+2 broke"));
        Assert.That(csv.GetString("tags"), Is.EqualTo("'+cmd|@sum|Research"));
        Assert.That(csv.Read(), Is.False);
    }

    [TestCase("hours=999999")]
    [TestCase("hours=999999&sort=user&order=desc&tags=Creative")]
    public async Task Ndjson_lines_equal_the_json_list(string query)
    {
        var expected = await JsonList(Operator, query);
        var (response, body) = await Get(Operator, $"{Export}?{query}&format=ndjson");
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/x-ndjson"));
        Assert.That(response.Content.Headers.ContentDisposition?.FileName?.Trim('"'), Does.EndWith(".ndjson"));
        var lines = System.Text.Encoding.UTF8.GetString(body).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(expected.Count));
        Assert.Multiple(() =>
        {
            foreach (var (line, json) in lines.Zip(expected))
                Assert.That(JsonElement.DeepEquals(JsonDocument.Parse(line).RootElement, json), line);
        });
    }

    [Test]
    public async Task The_export_has_no_page_limit()
    {
        var page = await Operator.GetJson($"{Dashboard}/running-agents?hours=999999&limit=500");
        Assert.That(page.GetProperty("agents").GetArrayLength(), Is.EqualTo(500), "a page");
        var (_, body) = await Get(Operator, $"{Export}?hours=999999&format=ndjson");
        Assert.That(System.Text.Encoding.UTF8.GetString(body).Split('\n', StringSplitOptions.RemoveEmptyEntries),
            Has.Length.EqualTo(Recounted.Count).And.Length.GreaterThan(500));
    }

    [Test]
    public async Task The_export_is_streamed_past_the_answer_reuse()
    {
        // Buffering would set the length up front; like every GET the export still carries the index's ETag.
        using var response = await Operator.GetAsync($"{Export}?hours=999999&format=csv", HttpCompletionOption.ResponseHeadersRead);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(response.Content.Headers.ContentLength, Is.Null, "read before the body: no length known up front");
        Assert.That(response.Headers.ETag, Is.Not.Null);
    }

    [Test]
    public async Task A_user_who_is_no_operator_exports_only_their_executions()
    {
        var alice = DemoDataGenerator.Users[1];
        using var client = Host.ClientFor(alice.FolderName);
        var (_, body) = await Get(client, $"{Export}?hours=999999&format=ndjson");
        var users = System.Text.Encoding.UTF8.GetString(body).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonDocument.Parse(l).RootElement.Str("user_id")).ToList();
        Assert.That(users, Has.Count.EqualTo(Recounted.Count(e => e.UserId == alice.FolderName)));
        Assert.That(users, Is.All.EqualTo(alice.FolderName));
    }

    [TestCase("format=xml", "format")]
    [TestCase("", "format")]
    [TestCase("format=csv&sort=nonsense", "sort")]
    [TestCase("format=csv&hours=0", "hours")]
    public async Task Bad_parameters_get_400_naming_them(string query, string parameter)
    {
        var response = await Operator.GetAsync($"{Export}?{query}");
        var body = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), body);
        Assert.That(body, Does.Contain(parameter));
    }
}
