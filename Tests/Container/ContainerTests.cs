using System.Text.Json;
using DotNet.Testcontainers.Volumes;
using Kodosumi.Shared.Demo;
using NUnit.Framework.Interfaces;

namespace Kodosumi.Tests.Container;

/// <summary>The shipped image, run by a real Docker engine beside a generated Kodosumi data directory.</summary>
[TestFixture]
public sealed class ContainerTests
{
    const int Executions = 40;
    static readonly TimeSpan WithinSeconds = TimeSpan.FromSeconds(15);

    DataSet _data = null!;
    IVolume? _index;
    readonly List<IndexerContainer> _containers = [];

    [OneTimeSetUp]
    public void RequireDocker() => ContainerImage.RequireDocker();

    [SetUp]
    public async Task ArrangeDataAndIndexVolume()
    {
        _data = DataSet.Generate(Executions, seed: 7);
        _index = IndexerContainer.NewIndexVolume();
        await _index.CreateAsync();
    }

    [TearDown]
    public async Task RemoveContainersAndData()
    {
        foreach (var container in _containers)
        {
            if (TestContext.CurrentContext.Result.Outcome.Status == TestStatus.Failed) await container.WriteLogsAsync();
            await container.DisposeAsync();
        }
        _containers.Clear();
        if (_index is not null)
        {
            await _index.DeleteAsync();
            await _index.DisposeAsync();
        }
        _data?.Dispose();
    }

    async Task<IndexerContainer> StartAsync(bool readOnlyData = true)
    {
        var container = await IndexerContainer.StartAsync(_data, _index!, readOnlyData);
        _containers.Add(container);
        return container;
    }

    [Test]
    public async Task Becomes_healthy_on_a_read_only_data_set_and_answers_from_the_host_with_the_right_totals()
    {
        var expectedTotal = _data.ExecutionDirs().Count;
        var expectedByStatus = _data.CountByStatus();

        var container = await StartAsync();

        var stats = await container.GetJsonAsync("/api/dashboard/agent-stats");
        var agents = await container.GetJsonAsync("/api/dashboard/running-agents?hours=999999");
        var byStatus = stats["by_status"].Deserialize<Dictionary<string, int>>();
        Assert.Multiple(() =>
        {
            Assert.That(expectedTotal, Is.EqualTo(Executions), "the generator wrote every execution");
            Assert.That(stats["total_executions"]!.GetValue<int>(), Is.EqualTo(expectedTotal));
            Assert.That(byStatus, Is.EquivalentTo(expectedByStatus));
            Assert.That(agents["total"]!.GetValue<int>(), Is.EqualTo(expectedTotal));
        });
    }

    [Test]
    public async Task Finished_databases_without_wal_or_shm_on_the_read_only_mount_are_indexed()
    {
        var leftovers = Directory.EnumerateFiles(_data.Root, "*.db-*", SearchOption.AllDirectories).ToList();
        Assert.That(leftovers, Is.Empty, "every generated database is finished: closed, WAL checkpointed and removed");
        var expectedFids = _data.ExecutionDirs().Select(Path.GetFileName).ToList();

        var container = await StartAsync();

        var agents = await container.GetJsonAsync("/api/dashboard/running-agents?hours=999999");
        var fids = agents["agents"]!.AsArray().Select(a => a!["fid"]!.GetValue<string>()).ToList();
        var health = await container.ReadinessAsync();
        Assert.Multiple(() =>
        {
            Assert.That(fids, Is.EquivalentTo(expectedFids));
            Assert.That(health["executions_with_problems"]!.GetValue<int>(), Is.Zero, health.ToJsonString());
        });
    }

    [Test]
    public async Task Rows_appended_on_the_host_to_a_live_execution_are_visible_through_the_container_within_seconds()
    {
        var container = await StartAsync();
        using var live = LiveExecution.Start(_data, DemoDataGenerator.Users[1]);
        live.Append("status", "starting");
        live.Append("meta", """{"dict": {"summary": "Live Agent", "entry_point": "live:app"}}""");

        var details = $"/api/dashboard/execution/{live.Fid}/details";
        async Task<(string? Status, long Events)> ReadAsync()
        {
            try
            {
                var answer = await container.GetJsonAsync(details);
                return (answer["metadata"]!["status"]!.GetValue<string>(), answer["total_events"]!.GetValue<long>());
            }
            catch (HttpRequestException) { return (null, 0); }  // 404 until the execution is indexed
        }

        var appeared = await IndexerContainer.EventuallyAsync(async () => await ReadAsync() is ("starting", 2), WithinSeconds);
        Assert.That(appeared, Is.True, $"a new live execution appears; last seen {await ReadAsync()}");

        // More rows while the writer keeps the database open: they are in -wal only, on a read-only mount.
        live.Append("status", "running");
        for (var i = 0; i < 5; i++) live.Append("stdout", $"step {i}");
        var appended = await IndexerContainer.EventuallyAsync(async () => await ReadAsync() is ("running", 8), WithinSeconds);
        Assert.That(appended, Is.True, $"appended rows are seen; last seen {await ReadAsync()}");
        Assert.That(File.Exists(Path.Combine(_data.ExecutionRoot, DemoDataGenerator.Users[1].FolderName, live.Fid, "sqlite3.db-wal")), Is.True,
            "the writer still holds the database open");
    }

    [Test]
    public async Task A_new_container_on_the_same_index_volume_reuses_the_index_instead_of_rebuilding_it()
    {
        var expectedTotal = _data.ExecutionDirs().Count;
        var first = await StartAsync();
        var firstHealth = await first.ReadinessAsync();
        Assert.That(firstHealth["folded_since_start"]!.GetValue<long>(), Is.EqualTo(expectedTotal), "the first start builds the index");

        var exitCode = await first.StopAsync();
        Assert.That(exitCode, Is.Zero, "docker stop shuts the service down cleanly");

        var second = await StartAsync();
        var health = await second.ReadinessAsync();
        Assert.Multiple(() =>
        {
            Assert.That(health["executions_indexed"]!.GetValue<long>(), Is.EqualTo(expectedTotal));
            // Nothing changed in the data, so nothing needs folding again.
            Assert.That(health["folded_since_start"]!.GetValue<long>(), Is.Zero, health.ToJsonString());
        });
    }

    [Test]
    public async Task Nothing_in_the_data_directory_changes_even_when_the_container_could_write_there()
    {
        // Writable for everyone and mounted read-write: only the service's own restraint keeps the data as it was.
        _data.SetModes(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite
            | UnixFileMode.OtherRead | UnixFileMode.OtherWrite);
        var before = _data.Listing();

        var container = await StartAsync(readOnlyData: false);
        var agents = await container.GetJsonAsync("/api/dashboard/running-agents?hours=999999");
        foreach (var fid in agents["agents"]!.AsArray().Select(a => a!["fid"]!.GetValue<string>()).Take(10))
        {
            await container.GetJsonAsync($"/api/dashboard/execution/{fid}/details");
            await container.GetJsonAsync($"/api/dashboard/execution/{fid}/files");
        }
        await container.GetJsonAsync("/api/dashboard/errors?hours=999999");
        await container.GetJsonAsync("/api/dashboard/timeline?hours=999999");
        Assert.That(await container.StopAsync(), Is.Zero);

        Assert.That(_data.Listing(), Is.EqualTo(before));
    }
}
