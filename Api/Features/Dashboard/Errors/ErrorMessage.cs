using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using NJsonSchema.Annotations;

namespace Kodosumi.Api.Features.Dashboard.Errors;

/// <summary>
/// An error event's message as Kodosumi shows it: the message itself when it is JSON, else <c>{"error": text}</c>.
/// Written straight into the answer, as a parsed <see cref="JsonElement"/> would write itself: a document parsed
/// for each message of a page was most of what a request for the error list allocated.
/// </summary>
[JsonConverter(typeof(Converter))]
[JsonSchemaType(typeof(JsonElement))]
public sealed class ErrorMessage(string text)
{
    public string Text { get; } = text;

    public override string ToString() => Text;

    /// <summary>Writes the JSON value this message stands for.</summary>
    public void WriteTo(Utf8JsonWriter writer)
    {
        if (MayBeJson(Text))
        {
            var utf8 = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(Text.Length));
            try
            {
                var json = utf8.AsSpan(0, Encoding.UTF8.GetBytes(Text, utf8));
                // Checked whole before anything is written: a message that stops being JSON halfway is text.
                if (IsJson(json))
                {
                    JsonText.Copy(new Utf8JsonReader(json), writer);
                    return;
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(utf8);
            }
        }
        writer.WriteStartObject();
        writer.WriteString("error", Text);
        writer.WriteEndObject();
    }

    /// <summary>False when the first character after JSON's whitespace cannot start a JSON value: a traceback, say.</summary>
    static bool MayBeJson(string message)
    {
        var start = message.AsSpan().TrimStart(" \t\r\n");
        return start.IsEmpty || start[0] is '{' or '[' or '"' or '-' or (>= '0' and <= '9') or 't' or 'f' or 'n' or > '\x7f';
    }

    /// <summary>One JSON value and nothing after it, as a parse of the message would accept (the same reader and limits).</summary>
    static bool IsJson(ReadOnlySpan<byte> utf8)
    {
        var reader = new Utf8JsonReader(utf8);
        try
        {
            while (reader.Read())
            {
            }
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    sealed class Converter : JsonConverter<ErrorMessage>
    {
        public override ErrorMessage Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            using var document = JsonDocument.ParseValue(ref reader);
            return new ErrorMessage(document.RootElement.GetRawText());
        }

        public override void Write(Utf8JsonWriter writer, ErrorMessage value, JsonSerializerOptions options) => value.WriteTo(writer);
    }
}
