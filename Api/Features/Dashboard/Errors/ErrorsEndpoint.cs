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
        var inWindow = catalog.Snapshot().ErrorsNewestFirst.Where(e => e.Timestamp >= since && viewer.CanSee(e.UserId)).ToList();
        var page = inWindow.Take(req.Limit).Select(e => new ErrorItem
        {
            Fid = e.Fid,
            UserId = e.UserId,
            Timestamp = e.Timestamp,
            EventId = e.EventId,
            Error = Parse(store.FindError(e.Key)?.Message ?? ""),
            UserName = users.NameOf(e.UserId),
            AgentName = catalog.Find(e.Fid)?.AgentName,
        }).ToList();
        await Send.OkAsync(new ErrorsResponse { Total = inWindow.Count, Errors = page }, ct);
    }

    /// <summary>Kodosumi's rule: the parsed JSON if the message is JSON, else <c>{"error": text}</c>.</summary>
    public static JsonElement Parse(string message)
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
}
