using System.Text.Json;
using Kodosumi.Api.Features.Dashboard.Errors;

namespace Kodosumi.Tests.Api;

/// <summary>
/// An error message written straight into the answer is what Kodosumi's rule gives by parsing it: the message as
/// JSON when it is one JSON value, else <c>{"error": text}</c>.
/// </summary>
[Category("Unit")]
public class ErrorMessageTests
{
    static readonly string TooDeep = new string('[', 70) + new string(']', 70);

    [TestCase("Traceback (most recent call last):\n  File \"app.py\", line 3\nValueError: invalid literal for int() with base 10: 'abc'")]
    [TestCase("""{"error": "RateLimitError", "detail": "429 Too Many Requests"}""")]
    [TestCase("  {\"a\": [1, 2.50e3, -0.5, null, true, false], \"o\": {\"k\": {}}}\r\n")]
    [TestCase("""{"esc": "line\nnext \"q\" \\ \u00e9 ✓ \ud83d\ude00", "\u0041": "</script>"}""")]
    [TestCase("{broken")]
    [TestCase("{} and then some")]
    [TestCase("""{"a": 1} // a comment""")]
    [TestCase("""{"a": 1,}""")]
    [TestCase("\"just a string\"")]
    [TestCase("42")]
    [TestCase("-")]
    [TestCase("null")]
    [TestCase("nullish")]
    [TestCase("tru")]
    [TestCase("'single quoted'")]
    [TestCase("")]
    [TestCase("   ")]
    [TestCase("Ünïcode ✓ \ud800 a lone surrogate")]
    [TestCase("[1, 2")]
    public void Writes_what_parsing_the_message_gives(string message) =>
        Assert.That(Written(new ErrorMessage(message).WriteTo), Is.EqualTo(Written(Parsed(message).WriteTo)));

    [Test]
    public void A_message_nested_deeper_than_a_parse_allows_is_text()
    {
        Assert.That(Written(new ErrorMessage(TooDeep).WriteTo), Is.EqualTo(Written(Parsed(TooDeep).WriteTo)));
        Assert.That(JsonDocument.Parse(Written(new ErrorMessage(TooDeep).WriteTo)).RootElement.GetProperty("error").GetString(), Is.EqualTo(TooDeep));
    }

    /// <summary>The rule as Kodosumi states it, with a parse.</summary>
    static JsonElement Parsed(string message)
    {
        try
        {
            return JsonSerializer.Deserialize<JsonElement>(message);
        }
        catch (JsonException)
        {
            return JsonSerializer.SerializeToElement(new Dictionary<string, string> { ["error"] = message });
        }
    }

    static string Written(Action<Utf8JsonWriter> write)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream)) write(writer);
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }
}
