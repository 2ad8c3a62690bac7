using FastEndpoints;
using Kodosumi.Api.Features.Dashboard.Stalls;
using Kodosumi.Api.Auth;
using Kodosumi.Indexer;
using Kodosumi.Indexer.Sources;
using Kodosumi.Indexer.Store;
using Kodosumi.Indexer.Users;
using Kodosumi.Shared;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace Kodosumi.Api.Features.Dashboard.Details;

/// <summary>One execution: its summary from the index and a page of its events from its own database.</summary>
public sealed class DetailsEndpoint(ExecutionCatalog catalog, UserDirectory users, IOptions<IndexerOptions> options, StallClock stalls)
    : Endpoint<DetailsRequest, DetailsResponse>
{
    public override void Configure()
    {
        Get("execution/{fid}/details");
        Group<DashboardGroup>();
    }

    public override async Task HandleAsync(DetailsRequest req, CancellationToken ct)
    {
        // Another user's execution answers exactly like one that does not exist.
        if (catalog.Find(req.Fid) is not { } summary || !Viewer.Of(User).CanSee(summary))
        {
            await Send.NotFoundAsync(ct);
            return;
        }
        var database = ExecutionLayout.FindDatabase(Path.Combine(options.Value.ExecutionRoot, summary.UserId, summary.Fid));
        (long Total, List<MonitorEvent> Events) page = (0, []);
        string? problem = null;
        try
        {
            if (database is not null) page = ExecutionDatabase.ReadEvents(database, req.Offset, req.Limit);
            else problem = "no database yet";
        }
        catch (Exception e) when (e is SqliteException or SourceProblemException or IOException)
        {
            problem = e.Message;
        }
        await Send.OkAsync(new DetailsResponse
        {
            Metadata = ExecutionRow.From(summary, users, stalls.Now()),
            Events = page.Events,
            TotalEvents = page.Total,
            Offset = req.Offset,
            Limit = req.Limit,
            EventsProblem = problem,
        }, ct);
    }
}
