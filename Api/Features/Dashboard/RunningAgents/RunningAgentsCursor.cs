using System.Buffers.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Kodosumi.Api.Features.Dashboard.RunningAgents;

/// <summary>
/// The opaque <c>cursor</c> of keyset paging: the sort it belongs to, the last row's sort key, and the
/// window's start as the first page computed it (so the window does not slide while a client pages).
/// A page starts right after that key in the sort's total order, so executions that arrive meanwhile
/// neither shift the rows after it nor make any of them repeat. Base64url of a small JSON object.
/// </summary>
public sealed record RunningAgentsCursor(string Column, bool Descending, SortKey After, double Since)
{
    sealed record Wire(string C, bool D, double N, string? T, double S, string F, double? W);

    // A sort key can be infinite (a runtime from a row stamped 9e999): the cursor must still round-trip it.
    static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        NumberHandling = JsonNumberHandling.AllowReadingFromString | JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public string Encode()
    {
        // All time is -infinity, which JSON cannot hold: it travels as null.
        var wire = new Wire(Column, Descending, After.Number, After.Text, After.Start, After.Fid, double.IsInfinity(Since) ? null : Since);
        return Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(wire, Options));
    }

    public static RunningAgentsCursor? TryDecode(string? text)
    {
        if (string.IsNullOrEmpty(text)) return null;
        try
        {
            var wire = JsonSerializer.Deserialize<Wire>(Base64Url.DecodeFromChars(text), Options);
            if (wire is null || string.IsNullOrEmpty(wire.F) || !RunningAgentsSort.Columns.Contains(wire.C)) return null;
            return new RunningAgentsCursor(wire.C, wire.D, new SortKey(wire.N, wire.T, wire.S, wire.F), wire.W ?? double.NegativeInfinity);
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            return null;
        }
    }

    public bool BelongsTo(RunningAgentsSort sort) => sort.Column == Column && sort.Descending == Descending;
}
