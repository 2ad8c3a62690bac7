using System.Globalization;
using System.Text.Json;
using CsvHelper;
using FastEndpoints;
using Kodosumi.Api.Auth;
using Kodosumi.Api.Features.Dashboard.RunningAgents;
using Kodosumi.Api.Features.Dashboard.Stalls;
using Kodosumi.Indexer;
using Kodosumi.Indexer.Users;
using Microsoft.Net.Http.Headers;

namespace Kodosumi.Api.Features.Dashboard.Export;

/// <summary>
/// Every execution the list would show for these filters and this order (no page limit), streamed row by
/// row as CSV or NDJSON. Rows are turned into text one at a time, so memory does not grow with the list.
/// </summary>
public sealed class ExportEndpoint(IIndexReader index, UserDirectory users, TimeProvider time, StallClock stalls)
    : Endpoint<ExportRequest>
{
    /// <summary>The CSV's columns: a row's fields, <c>meta</c> as JSON text and <c>tags</c> joined by <c>|</c>.</summary>
    public static readonly string[] CsvColumns =
    [
        "fid", "user_id", "user_name", "agent_name", "status", "error", "error_timestamp", "start_time", "end_time", "runtime",
        "upload_count", "download_count", "error_count", "event_count", "tags", "problem", "warning", "meta", "stalled",
    ];

    /// <summary>Escapes cells that start with = + - @ (tab, CR) with a leading quote, so a spreadsheet shows them as text.</summary>
    static readonly CsvWriterOptions CsvOptions = CsvWriterOptions.Default with { Injection = CsvInjection.Escape };

    static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new Hosting.FiniteNumbers() },
    };

    public override void Configure()
    {
        Get("running-agents/export");
        Group<DashboardGroup>();
        Description(d => d.Produces(StatusCodes.Status200OK, typeof(string), "text/csv", "application/x-ndjson"));
    }

    public override async Task HandleAsync(ExportRequest req, CancellationToken ct)
    {
        var stall = stalls.Now();
        var matches = Visible.Matching(index.Snapshot(), req, Viewer.Of(User), users, time, stall);
        var rows = req.ToSort().Apply(matches, users).Select(s => ExecutionRow.From(s, users, stall));

        var response = HttpContext.Response;
        var csv = req.Format == ExportValidator.Csv;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = csv ? "text/csv; charset=utf-8" : "application/x-ndjson; charset=utf-8";
        var name = $"running-agents-{time.GetUtcNow():yyyyMMdd-HHmmss}.{(csv ? "csv" : "ndjson")}";
        response.Headers.ContentDisposition = new ContentDispositionHeaderValue("attachment") { FileName = name }.ToString();
        response.Headers.CacheControl = "no-store";
        await response.StartAsync(ct);
        if (csv) await WriteCsv(response.Body, rows, ct);
        else await WriteNdjson(response.Body, rows, ct);
    }

    static async Task WriteCsv(System.IO.Stream body, IEnumerable<ExecutionRow> rows, CancellationToken ct)
    {
        await using var writer = CsvWriter.Create(body, CsvOptions, leaveOpen: true);
        // The header ends its own record.
        writer.WriteHeader(CsvColumns);
        foreach (var r in rows)
        {
            writer.WriteField(r.Fid);
            writer.WriteField(r.UserId);
            writer.WriteField(r.UserName);
            writer.WriteField(r.AgentName);
            writer.WriteField(r.Status);
            writer.WriteField(r.Error);
            writer.WriteField(Number(r.ErrorTimestamp));
            writer.WriteField(Number(r.StartTime));
            writer.WriteField(Number(r.EndTime));
            writer.WriteField(Number(r.Runtime));
            writer.WriteField(Number(r.UploadCount));
            writer.WriteField(Number(r.DownloadCount));
            writer.WriteField(Number(r.ErrorCount));
            writer.WriteField(Number(r.EventCount));
            writer.WriteField(string.Join('|', r.Tags));
            writer.WriteField(r.Problem);
            writer.WriteField(r.Warning);
            writer.WriteField(r.Meta?.ToString());
            writer.WriteField(r.Stalled ? "true" : "false");
            await writer.EndRecordAsync(ct);
        }
        await writer.FlushAsync(ct);
    }

    /// <summary>Round-trip text of a number ("R"), so the CSV holds the same values as the JSON list.</summary>
    static string? Number(double? value) => value?.ToString("R", CultureInfo.InvariantCulture);

    static async Task WriteNdjson(System.IO.Stream body, IEnumerable<ExecutionRow> rows, CancellationToken ct)
    {
        var newline = "\n"u8.ToArray();
        var count = 0;
        foreach (var row in rows)
        {
            await JsonSerializer.SerializeAsync(body, row, JsonOptions, ct);
            await body.WriteAsync(newline, ct);
            // Hand rows to the client as they come instead of holding the whole list.
            if (++count % 256 == 0) await body.FlushAsync(ct);
        }
        await body.FlushAsync(ct);
    }
}
