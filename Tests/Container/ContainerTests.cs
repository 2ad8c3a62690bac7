using System.Diagnostics;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using DotNet.Testcontainers.Volumes;
using Kodosumi.Shared.Demo;
using NUnit.Framework.Interfaces;

namespace Kodosumi.Tests.Container;

/// <summary>The shipped image, run by a real Docker engine beside a generated Kodosumi data directory.</summary>
[Category("Container")]
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

    async Task<IndexerContainer> StartAsync(bool readOnlyData = true, string? workingDirectory = null)
    {
        var container = await IndexerContainer.StartAsync(_data, _index!, readOnlyData, workingDirectory);
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

    [Test]
    public async Task Docker_stop_with_two_open_streams_returns_within_two_seconds_with_exit_code_0_and_the_index_closed_cleanly()
    {
        var expectedTotal = _data.ExecutionDirs().Count;
        var first = await StartAsync();
        using var stream1 = await first.OpenStreamAsync();
        using var stream2 = await first.OpenStreamAsync();

        var stopping = Stopwatch.StartNew();
        var exitCode = await first.StopAsync();
        stopping.Stop();
        var (stdout, _) = await first.LogsAsync();
        Assert.Multiple(() =>
        {
            Assert.That(exitCode, Is.Zero, "SIGTERM ends the process cleanly, not the kill after docker's timeout");
            // The issue's bound: open streams must not hold the shutdown until the host's timeout.
            Assert.That(stopping.Elapsed, Is.LessThan(TimeSpan.FromSeconds(2)), "docker stop returned late");
            Assert.That(stdout, Does.Not.Contain("not checkpointed"), "the index was closed and checkpointed");
        });

        // Closed cleanly: the next container reads the index as it was left, folding nothing again.
        var second = await StartAsync();
        var health = await second.ReadinessAsync();
        Assert.That(health["executions_indexed"]!.GetValue<long>(), Is.EqualTo(expectedTotal));
        Assert.That(health["folded_since_start"]!.GetValue<long>(), Is.Zero, health.ToJsonString());
    }

    [Test]
    public async Task The_version_of_Directory_Build_props_is_in_the_labels_the_live_answer_and_the_build_info_metric()
    {
        var labels = await ContainerImage.LabelsAsync();
        var container = await StartAsync();

        var live = await container.GetJsonAsync("/health/live");
        var metrics = await (await container.GetAsync("/metrics")).Content.ReadAsStringAsync();
        Assert.Multiple(() =>
        {
            Assert.That(labels.GetValueOrDefault("org.opencontainers.image.version"), Is.EqualTo(ContainerImage.Version));
            Assert.That(labels.GetValueOrDefault("org.opencontainers.image.licenses"), Is.EqualTo("Apache-2.0"));
            Assert.That(labels.GetValueOrDefault("org.opencontainers.image.source"), Does.StartWith("https://"));
            Assert.That(live["version"]!.GetValue<string>(), Is.EqualTo(ContainerImage.Version));
            Assert.That(metrics, Does.Contain($"kodosumi_indexer_build_info{{version=\"{ContainerImage.Version}\"}} 1"));
        });
    }

    [Test]
    public async Task Started_from_the_root_directory_it_serves_the_page_with_its_npm_libraries_and_logs_one_json_object_per_line()
    {
        var container = await StartAsync(workingDirectory: "/");

        using var page = await container.GetAsync("/admin/dashboard");
        using var d3 = await container.GetAsync("/vendor/d3/d3.min.js");
        using var beer = await container.GetAsync("/vendor/beercss/beer.min.css");
        for (var i = 0; i < 5; i++) await container.GetJsonAsync("/api/dashboard/agent-stats");
        var (stdout, _) = await container.LogsAsync();
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var entries = lines.Select(line => JsonNode.Parse(line)!.AsObject()).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(page.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the page is found below the application's folder, not the working directory");
            Assert.That(page.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/html"));
            Assert.That(d3.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the Node stage's D3 is in the image");
            Assert.That(beer.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the Node stage's Beer CSS is in the image");
            Assert.That(entries, Is.Not.Empty);
            foreach (var entry in entries)
            {
                Assert.That(DateTimeOffset.TryParse(entry["Timestamp"]?.GetValue<string>(), out _), Is.True, entry.ToJsonString());
                Assert.That(entry["LogLevel"]?.GetValue<string>(), Is.Not.Null.And.Not.Empty, entry.ToJsonString());
                Assert.That(entry["Category"]?.GetValue<string>(), Is.Not.Null.And.Not.Empty, entry.ToJsonString());
                Assert.That(entry["Message"]?.GetValue<string>(), Is.Not.Null, entry.ToJsonString());
            }
            // Structured fields stay fields: the scan's folder is a value of its own, not only text in the message.
            Assert.That(entries.Any(e => e["State"]?["Root"]?.GetValue<string>() == "/data/execution"), Is.True, stdout);
            // Requests and health probes (Docker's HEALTHCHECK ran) leave nothing at the default level.
            Assert.That(entries.Where(e => e["Category"]!.GetValue<string>().StartsWith("Microsoft.AspNetCore.Hosting", StringComparison.Ordinal)
                || e["Category"]!.GetValue<string>().StartsWith("Microsoft.Extensions.Diagnostics.HealthChecks", StringComparison.Ordinal)), Is.Empty, stdout);
        });
    }
}
