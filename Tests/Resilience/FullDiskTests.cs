using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Kodosumi.Shared;
using Kodosumi.Shared.Demo;
using Kodosumi.TestSupport;
using Kodosumi.Tests.Support;

namespace Kodosumi.Tests.Resilience;

/// <summary>
/// The index on a small tmpfs of its own that runs full while Kodosumi keeps writing: the error is said in
/// health and log, nothing is shown that was not committed, and once space returns indexing resumes and the
/// index (also after a SIGKILL) equals the recount.
/// </summary>
[Category("Resilience")]
public class FullDiskTests
{
    /// <param name="volume">
    /// <c>tmpfs</c>: a 12 MB tmpfs that really runs full (needs root). <c>min-free-space</c>, for machines that cannot
    /// mount: the index's own volume with <c>Indexer:MinFreeMegabytes</c> set 200 MB below its free space, and a file
    /// written beside the index that crosses it by a gigabyte.
    /// </param>
    [TestCase("tmpfs")]
    [TestCase("min-free-space")]
    public async Task A_full_index_volume_is_reported_advances_nothing_and_indexing_resumes_when_space_returns(string volume)
    {
        using var folders = ServiceFolders.Create("kodo-full");
        var (dataDir, mountDir) = folders;
        var root = Path.Combine(dataDir, "execution");
        var settings = new Dictionary<string, string>();
        if (volume == "tmpfs" && !Tmpfs.TryMount(mountDir, megabytes: 12, out var why)) Assert.Ignore($"cannot mount a tmpfs here ({why}); needs root");
        if (volume == "min-free-space")
            settings["Indexer:MinFreeMegabytes"] = (new DriveInfo(mountDir).AvailableFreeSpace / 1048576 - 200).ToString(CultureInfo.InvariantCulture);
        try
        {
            new DemoDataGenerator(new DemoOptions { Executions = 400, Seed = 41 }).Generate(dataDir);
            var indexPath = Path.Combine(mountDir, "index.db");
            using (var service = await ServiceUnderTest.StartReadyAsync(dataDir, indexPath, rescan: TimeSpan.FromSeconds(1), settings))
            {
                // A running execution, indexed while there is space.
                var fid = Fids.New(DateTimeOffset.UtcNow, new Random(5));
                using var writer = SqliteCliWriter.Open(Path.Combine(root, DemoDataGenerator.Users[1].FolderName, fid, "sqlite3.db"));
                writer.Append("status", "running");
                await Wait.Until(async () => await EventCount(service, fid) == 1, TimeSpan.FromSeconds(20), "the running execution is indexed");

                // Other processes on a shared volume free and take space meanwhile: cross the line by a wide margin now.
                var filler = volume == "tmpfs" ? Tmpfs.Fill(mountDir)
                    : Tmpfs.Fill(mountDir, new DriveInfo(mountDir).AvailableFreeSpace / 1048576 - long.Parse(settings["Indexer:MinFreeMegabytes"], CultureInfo.InvariantCulture) + 1000);
                // Kodosumi goes on writing: the index cannot take it.
                for (var i = 0; i < 300; i++) writer.Append("stdout", $"line {i} " + new string('y', 2000));
                writer.Append("error", "Traceback: while the index volume was full");
                var (health, writeError) = await UntilWriteError(service);
                TestContext.Out.WriteLine($"health while full: {health}");
                Assert.That(writeError, Does.Contain("space").IgnoreCase, "the reason is the full disk");
                Assert.That(writeError, Does.Not.Contain(mountDir), "health is open to anyone: it does not name the index's path");
                Assert.That(health.GetProperty("status").GetString(), Is.EqualTo("Degraded"), "degraded: still answering, not up to date");
                Assert.That(service.Output.Any(l => l.Contains("Cannot write the index", StringComparison.Ordinal)), "the log says it");
                // Nothing that was not committed is shown: the running execution stays where it was.
                await Task.Delay(TimeSpan.FromSeconds(2.5));
                Assert.That(await EventCount(service, fid), Is.EqualTo(1), "no cursor advanced past what is committed");
                using (var errors = await service.Client.GetAsync("/api/dashboard/errors?hours=999999"))
                    Assert.That(errors.IsSuccessStatusCode, "the API still answers from what was committed");
                Assert.That(service.HasExited, Is.False);

                File.Delete(filler);
                writer.Append("status", "finished");
                writer.Close();
                await Wait.Until(async () => await EventCount(service, fid) == 303 && WriteError(await ServiceUnderTest.Health(service)) is null,
                    TimeSpan.FromSeconds(90), "indexing resumes once space returns"); // the write back-off reaches 30 s
                await ServiceUnderTest.AssertIndexEqualsRecount(service.Client, root);
                Assert.That(Directory.GetFiles(mountDir, "*.broken-*"), Is.Empty, "a full disk is no damage: the index was never moved aside");
                service.Kill();
            }
            // What reached the disk is sound: a fresh start after a SIGKILL still equals the recount.
            using var again = await ServiceUnderTest.StartReadyAsync(dataDir, indexPath, rescan: TimeSpan.FromMinutes(10));
            await ServiceUnderTest.AssertIndexEqualsRecount(again.Client, root);
        }
        finally
        {
            Tmpfs.Unmount(mountDir);
        }
    }

    [Test]
    public async Task A_cold_index_on_a_volume_too_small_stays_unready_and_completes_once_the_volume_grows()
    {
        using var folders = ServiceFolders.Create("kodo-full-cold");
        var (dataDir, mountDir) = folders;
        var root = Path.Combine(dataDir, "execution");
        if (!Tmpfs.TryMount(mountDir, megabytes: 1, out var why)) Assert.Ignore($"cannot mount a tmpfs here ({why}); needs root");
        try
        {
            new DemoDataGenerator(new DemoOptions { Executions = 600, Seed = 43 }).Generate(dataDir);
            using var service = ServiceUnderTest.Start(dataDir, Path.Combine(mountDir, "index.db"), rescan: TimeSpan.FromSeconds(1));
            await Wait.Until(async () => WriteError(await ServiceUnderTest.Health(service)) is not null, TimeSpan.FromSeconds(60), "the write error shows");
            // A first scan that could not be committed whole must not open the API on a partial index.
            await Task.Delay(TimeSpan.FromSeconds(2));
            using (var health = await service.Client.GetAsync("/health/ready"))
                Assert.That(health.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable), await health.Content.ReadAsStringAsync());
            await service.SignInAsync("admin", "admin");
            using (var api = await service.Client.GetAsync("/api/dashboard/agent-stats"))
                Assert.That(api.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));

            Assert.That(Tmpfs.Resize(mountDir, megabytes: 64), Is.True);
            await service.WaitReadyAsync(TimeSpan.FromSeconds(180)); // the write back-off reaches 30 s; the machine may be busy
            Assert.That(WriteError(await ServiceUnderTest.Health(service)), Is.Null);
            await ServiceUnderTest.AssertIndexEqualsRecount(service.Client, root);
        }
        finally
        {
            Tmpfs.Unmount(mountDir);
        }
    }

    static async Task<long?> EventCount(ServiceProcess service, string fid)
    {
        using var response = await service.Client.GetAsync($"/api/dashboard/execution/{fid}/details?limit=1");
        if (!response.IsSuccessStatusCode) return null;
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("metadata").GetProperty("event_count").GetInt64();
    }

    static string? WriteError(JsonElement health) =>
        ServiceUnderTest.HealthData(health).TryGetProperty("index_write_error", out var e) ? e.GetString() : null;

    static async Task<(JsonElement Health, string Error)> UntilWriteError(ServiceProcess service)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            var health = await ServiceUnderTest.Health(service);
            if (WriteError(health) is { } error) return (health, error);
            await Task.Delay(100);
        }
        throw new AssertionException("the write error never showed in /health/ready");
    }
}

/// <summary>A tmpfs of a fixed size, so the index volume can really run full.</summary>
static class Tmpfs
{
    public static bool TryMount(string dir, int megabytes, out string why)
    {
        (var code, why) = Run("mount", "-t", "tmpfs", "-o", $"size={megabytes}m", "tmpfs", dir);
        return code == 0;
    }

    public static bool Resize(string dir, int megabytes) => Run("mount", "-o", $"remount,size={megabytes}m", dir).Code == 0;

    public static void Unmount(string dir)
    {
        if (File.ReadAllText("/proc/mounts").Contains($" {dir} ", StringComparison.Ordinal)) Run("umount", "-l", dir);
    }

    /// <summary>Writes a file until the volume has no space left, or of the given size; returns its path.</summary>
    public static string Fill(string dir, long megabytes = long.MaxValue / 1048576)
    {
        var path = Path.Combine(dir, "filler");
        using var file = File.Create(path);
        // Real bytes, not a sparse length: the space must be taken.
        var block = new byte[1024 * 1024];
        Random.Shared.NextBytes(block);
        try
        {
            for (var written = 0L; written < megabytes; written++) file.Write(block);
        }
        catch (IOException)
        {
            // full
        }
        return path;
    }

    static (int Code, string Output) Run(string command, params string[] args)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(command, args) { RedirectStandardError = true, RedirectStandardOutput = true })!;
            var output = process.StandardError.ReadToEnd() + process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, output.Trim());
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (-1, e.Message);
        }
    }
}
