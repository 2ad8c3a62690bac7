using System.Text.Json;
using FastEndpoints;
using Kodosumi.Api.Auth;
using Kodosumi.Indexer.Store;
using Kodosumi.Indexer.Users;

namespace Kodosumi.Api.Features.Dashboard.Errors;

/// <summary>Error events newest first; the messages of the page shown come from the index.</summary>
public sealed class ErrorsEndpoint(ExecutionCatalog catalog, IndexStore store, UserDirectory users, TimeProvider time)
    : Endpoint<ErrorsRequest, ErrorsResponse>
{
    public override void Configure()
    {
        Get("errors");
        Group<DashboardGroup>();
    }

    public override async Task HandleAsync(ErrorsRequest req, CancellationToken ct)
    {
        var since = TimeWindow.Since(req.Hours, time);
        var viewer = Viewer.Of(User);
        // Newest first: the window is a prefix.
        var inWindow = catalog.Snapshot().ErrorsNewestFirst.TakeWhile(e => e.Timestamp >= since).Where(e => viewer.CanSee(e.UserId)).ToList();
        var page = inWindow.Take(req.Limit).Select(e => new ErrorItem
        {
            Fid = e.Fid,
            UserId = e.UserId,
            Timestamp = e.Timestamp,
            EventId = e.EventId,
            Error = Parse(e.ShortMessage ?? store.FindError(e.Key)?.Message ?? ""),
            UserName = users.NameOf(e.UserId),
            AgentName = catalog.Find(e.Fid)?.AgentName,
        }).ToList();
        await Send.OkAsync(new ErrorsResponse { Total = inWindow.Count, Errors = page }, ct);
    }

    /// <summary>Kodosumi's rule: the parsed JSON if the message is JSON, else <c>{"error": text}</c>.</summary>
    public static JsonElement Parse(string message)
    {
        // A traceback is the common case: tell it apart without the cost of a failed parse.
        if (MayBeJson(message))
        {
            try
            {
                return JsonSerializer.Deserialize<JsonElement>(message);
            }
            catch (JsonException)
            {
            }
        }
        return JsonSerializer.SerializeToElement(new Dictionary<string, string> { ["error"] = message });
    }

    /// <summary>False when the first character after JSON's whitespace cannot start a JSON value.</summary>
    static bool MayBeJson(string message)
    {
        var start = message.AsSpan().TrimStart(" \t\r\n");
        return start.IsEmpty || start[0] is '{' or '[' or '"' or '-' or (>= '0' and <= '9') or 't' or 'f' or 'n' or > '\x7f';
    }
}
