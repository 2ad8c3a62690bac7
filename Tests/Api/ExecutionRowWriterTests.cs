using System.Text.Json;
using Kodosumi.Api.Features.Dashboard;
using Kodosumi.Api.Hosting;
using Kodosumi.Shared.Model;

namespace Kodosumi.Tests.Api;

/// <summary>The hand-written row writer answers the same bytes as the serializer writing the row's properties.</summary>
[Category("Unit")]
public class ExecutionRowWriterTests
{
    static JsonSerializerOptions Options(bool withWriter)
    {
        // As the API configures its serializer (ApiExtensions), with or without the row writer.
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
        options.Converters.Add(new FiniteNumbers());
        if (withWriter) options.Converters.Add(new ExecutionRowWriter());
        return options;
    }

    static Utf8Json Meta(string json) => Utf8Json.Of(JsonDocument.Parse(json).RootElement);

    static readonly ExecutionRow[] Rows =
    [
        new()
        {
            Fid = "6b0fe111171fec7dab2ac80b", UserId = "1f6e2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b", UserName = "alice", AgentName = "Hymn <Creator> & \"Co\"",
            Status = "error", Meta = new JsonText(Meta("""{"summary": "Ünïcode ✓ \u00e9", "tags": ["a", "b"], "n": 1.50e3, "x": null, "t": true, "o": {"k": [1, {"z": false}]}, "esc": "line\nnext \"q\" \\"}""")),
            Error = "Traceback (most recent call last):\n  ValueError: 'abc' <tag>", ErrorTimestamp = 1796203434.449122, StartTime = 1796202769.8966172,
            EndTime = 1796203467.6767473, Runtime = 697.780130147934, UploadCount = 1, DownloadCount = 2, ErrorCount = 3, EventCount = 22,
            Tags = ["Creative", "Müsic"], Problem = "SQLite error 5: database is locked", Warning = "event 2 (meta) is not JSON",
            Quarantined = new QuarantineView("locked", 1796203000.25, double.PositiveInfinity), Stalled = true,
        },
        new()
        {
            Fid = "f", UserId = "u", AgentName = "Unknown", Status = "unknown", StartTime = double.NaN, EndTime = double.NegativeInfinity,
            Runtime = null, ErrorTimestamp = null,
        },
        new() { Fid = "g", UserId = "u", AgentName = "a", Status = "finished", Meta = new JsonText(Meta("[]")), StartTime = 0, EventCount = long.MaxValue },
    ];

    [Test]
    public void Rows_are_written_as_the_serializer_writes_their_properties()
    {
        var byProperties = JsonSerializer.Serialize(Rows, Options(withWriter: false));
        var byWriter = JsonSerializer.Serialize(Rows, Options(withWriter: true));
        Assert.That(byWriter, Is.EqualTo(byProperties));
        Assert.That(byWriter, Does.Contain("\"meta\":{\"summary\":"), "meta is written as JSON, not as a string");
    }

    [Test]
    public void Meta_is_written_as_a_parsed_element_writes_itself()
    {
        const string json = """{ "a" : [1, 2.50, -0, 1e400 ], "b": "\u003cscript\u003e", "c": {"d": null} }""";
        var options = Options(withWriter: true);
        Assert.That(JsonSerializer.Serialize(new JsonText(Meta(json)), options),
            Is.EqualTo(JsonSerializer.Serialize(JsonDocument.Parse(json).RootElement, options)));
    }
}
