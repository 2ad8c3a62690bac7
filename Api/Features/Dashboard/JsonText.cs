using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization;
using Kodosumi.Shared.Model;
using NJsonSchema.Annotations;

namespace Kodosumi.Api.Features.Dashboard;

/// <summary>
/// A JSON value kept as the text it was stored as (an execution's meta), written into an answer token by
/// token exactly as a parsed <see cref="JsonElement"/> writes itself, without building a document for it:
/// a page of 500 rows would otherwise parse 500 documents only to write them out again.
/// </summary>
[JsonConverter(typeof(Converter))]
// Described in the API document as any JSON value, as the JsonElement it stands for.
[JsonSchemaType(typeof(JsonElement))]
public sealed class JsonText(Utf8Json json)
{
    readonly Utf8Json _json = json;

    public override string ToString() => _json.ToString();

    sealed class Converter : JsonConverter<JsonText>
    {
        public override JsonText Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            using var document = JsonDocument.ParseValue(ref reader);
            return new JsonText(Utf8Json.Of(document.RootElement));
        }

        public override void Write(Utf8JsonWriter writer, JsonText value, JsonSerializerOptions options) =>
            JsonText.Write(writer, value);
    }

    /// <summary>Writes the value as a parsed <see cref="JsonElement"/> would write itself.</summary>
    public static void Write(Utf8JsonWriter writer, JsonText value)
    {
        var length = value._json.Length;
        var text = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            value._json.CopyTo(text);
            Copy(new Utf8JsonReader(text.AsSpan(0, length)), writer);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(text);
        }
    }

    /// <summary>
    /// What <see cref="JsonElement.WriteTo"/> does for a parsed value: strings and names unescaped and
    /// escaped again by the writer's encoder, numbers as written, no whitespace. The reader checks the text
    /// as a parse would.
    /// </summary>
    internal static void Copy(Utf8JsonReader reader, Utf8JsonWriter writer)
    {
        byte[]? unescaped = null;
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject: writer.WriteStartObject(); break;
                    case JsonTokenType.EndObject: writer.WriteEndObject(); break;
                    case JsonTokenType.StartArray: writer.WriteStartArray(); break;
                    case JsonTokenType.EndArray: writer.WriteEndArray(); break;
                    case JsonTokenType.PropertyName: writer.WritePropertyName(Unescaped(ref reader, ref unescaped)); break;
                    case JsonTokenType.String: writer.WriteStringValue(Unescaped(ref reader, ref unescaped)); break;
                    case JsonTokenType.Number: writer.WriteRawValue(reader.ValueSpan, skipInputValidation: true); break;
                    case JsonTokenType.True: writer.WriteBooleanValue(true); break;
                    case JsonTokenType.False: writer.WriteBooleanValue(false); break;
                    case JsonTokenType.Null: writer.WriteNullValue(); break;
                }
            }
        }
        finally
        {
            if (unescaped is not null) ArrayPool<byte>.Shared.Return(unescaped);
        }
    }

    static ReadOnlySpan<byte> Unescaped(ref Utf8JsonReader reader, ref byte[]? buffer)
    {
        if (!reader.ValueIsEscaped) return reader.ValueSpan;
        // Unescaping never makes a value longer.
        if (buffer is null || buffer.Length < reader.ValueSpan.Length)
        {
            if (buffer is not null) ArrayPool<byte>.Shared.Return(buffer);
            buffer = ArrayPool<byte>.Shared.Rent(reader.ValueSpan.Length);
        }
        var written = reader.CopyString(buffer);
        return buffer.AsSpan(0, written);
    }
}
