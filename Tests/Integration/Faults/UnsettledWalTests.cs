using System.Net;
using System.Text.Json;
using Kodosumi.Shared;
using Kodosumi.Shared.Demo;
using Kodosumi.TestSupport;
using Kodosumi.Tests.Support;

namespace Kodosumi.Tests.Integration.Faults;

/// <summary>
/// SQLite publishes a commit only after its frames are in the WAL, so a fold right after a WAL was written may miss
/// a commit that no later file event announces. Here the watcher hears nothing and rescans are ten minutes apart:
/// a row committed after such a fold is found only because the execution is looked at again by itself.
/// </summary>
[Category("Integration")]
public class UnsettledWalTests : TempFolderTest
{
    [Test]
    public async Task A_row_committed_after_a_fold_of_a_fresh_wal_is_found_without_any_file_event()
    {
        new DemoDataGenerator(new DemoOptions { Executions = 3, Seed = 5 }).Generate(TempDir);
        var fid = Fids.New(DateTimeOffset.UtcNow, Random.Shared);
        var dir = Path.Combine(TempDir, "execution", DemoDataGenerator.Users[1].FolderName, fid);
        using var writer = SqliteCliWriter.Open(Path.Combine(dir, ExecutionLayout.Database));
        writer.Append("status", "running");

        using var host = new IndexerHost(TempDir, rescan: TimeSpan.FromMinutes(10));
        using var factory = host.WithWatchers(new DeafWatchers());
        using var client = await host.StartAsync(factory);
        Assert.That(await EventCount(client, fid), Is.EqualTo(1), "the first scan folded the row there was");

        // Written within a second of that fold, whose look found the WAL written moments before.
        writer.Append("status", "finished");
        await Wait.Until(async () => await EventCount(client, fid) == 2, TimeSpan.FromSeconds(10),
            "the execution was looked at again though no event came and no rescan was due");
    }

    static async Task<int?> EventCount(HttpClient client, string fid)
    {
        var response = await client.GetAsync($"/api/dashboard/execution/{fid}/details?limit=1");
        if (response.StatusCode != HttpStatusCode.OK) return null;
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("metadata").GetProperty("event_count").GetInt32();
    }
}
