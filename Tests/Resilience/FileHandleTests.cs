using System.Text.Json;
using Kodosumi.Shared;
using Kodosumi.Shared.Demo;
using Kodosumi.TestSupport;
using Kodosumi.Tests.Support;

namespace Kodosumi.Tests.Resilience;

/// <summary>Executions deleted while the service runs (finished ones, and live ones with a writer still open) leave no descriptor or mapping behind.</summary>
[Category("Resilience")]
public class FileHandleTests
{
    [Test]
    public async Task Deleted_executions_leave_no_open_or_mapped_sqlite_file_in_the_service()
    {
        using var folders = ServiceFolders.Create("kodo-fds");
        var (dataDir, indexDir) = folders;
        var root = Path.Combine(dataDir, "execution");
        var writers = new List<SqliteCliWriter>();
        try
        {
            new DemoDataGenerator(new DemoOptions { Executions = 60, Seed = 21 }).Generate(dataDir);
            using var service = await ServiceUnderTest.StartReadyAsync(dataDir, Path.Combine(indexDir, "index.db"), rescan: TimeSpan.FromSeconds(1));
            var live = new List<string>();
            for (var i = 0; i < 5; i++)
            {
                var fid = Fids.New(DateTimeOffset.UtcNow, Random.Shared);
                var dir = Path.Combine(root, DemoDataGenerator.Users[i % 4].FolderName, fid);
                var writer = SqliteCliWriter.Open(Path.Combine(dir, "sqlite3.db"));
                writers.Add(writer);
                writer.Append("status", "running");
                writer.Append("stdout", "working");
                live.Add(dir);
            }
            await Wait.Until(async () => await Listed(service) is var fids && live.All(d => fids.Contains(Path.GetFileName(d))),
                TimeSpan.FromSeconds(20), "the live executions are indexed");

            var finished = Directory.GetDirectories(root).SelectMany(Directory.GetDirectories).Except(live).Order(StringComparer.Ordinal).Take(20).ToList();
            var deleted = finished.Concat(live).ToList();
            foreach (var dir in deleted) Directory.Delete(dir, recursive: true);
            // The writers go on a little in their unlinked files, then close them, as a killed run would.
            foreach (var writer in writers) writer.Append("stdout", "after the delete");
            foreach (var writer in writers) writer.Close();
            var gone = deleted.Select(d => Path.GetFileName(d)).ToHashSet();
            await Wait.Until(async () => !(await Listed(service)).Overlaps(gone), TimeSpan.FromSeconds(20), "the deleted executions leave the index");
            // One more rescan, so any read begun before the deletes has ended.
            await Task.Delay(TimeSpan.FromSeconds(1.5));

            var held = service.DeletedFilesHeld();
            TestContext.Out.WriteLine($"{service.OpenFileDescriptors()} descriptors open; deleted files held: {string.Join(", ", held)}");
            Assert.That(held.Where(h => h.Contains("sqlite3.db", StringComparison.Ordinal) || h.Contains(root, StringComparison.Ordinal)), Is.Empty,
                "no descriptor or mapping of a deleted execution's database, -wal or -shm");
            await ServiceUnderTest.AssertIndexEqualsRecount(service.Client, root);
        }
        finally
        {
            foreach (var writer in writers) writer.Dispose();
        }
    }

    static async Task<HashSet<string>> Listed(ServiceProcess service)
    {
        var json = await service.Client.GetJson("/api/dashboard/running-agents?hours=999999&limit=5000");
        return json.GetProperty("agents").EnumerateArray().Select(r => r.GetProperty("fid").GetString()!).ToHashSet();
    }
}
