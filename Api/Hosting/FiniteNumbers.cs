using System.Text.Json;
using System.Text.Json.Serialization;

namespace Kodosumi.Api.Hosting;

/// <summary>
/// Writes an infinite or NaN double as <c>null</c>. SQLite keeps an overflowing REAL (<c>9e999</c>) as
/// infinity in <c>monitor.timestamp</c>, and times and runtimes computed from it follow; JSON has no such
/// number, and without this one row would turn every answer that shows its execution into a 500.
/// Nullable doubles use it too (System.Text.Json wraps it).
/// </summary>
public sealed class FiniteNumbers : JsonConverter<double>
{
    public override double Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.GetDouble();

    public override void Write(Utf8JsonWriter writer, double value, JsonSerializerOptions options)
    {
        if (double.IsFinite(value)) writer.WriteNumberValue(value);
        else writer.WriteNullValue();
    }
}
