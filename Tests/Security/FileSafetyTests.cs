using System.Net;
using System.Runtime.InteropServices;
using System.Text.Json;
using Kodosumi.Tests.Support;
using static Kodosumi.Tests.Security.SecurityService;

namespace Kodosumi.Tests.Security;

/// <summary>
/// Issue 21, point 4: <c>in/</c> and <c>out/</c> hold what a writer of the data directory put there; only regular
/// files of one link are listed, counted and served, never through a link, and never with an open that blocks.
/// </summary>
[Category("Integration")]
public class FileSafetyTests
{
    static string Files(Expected e) => $"/api/dashboard/execution/{e.Fid}/files";

    static string Download(Expected e, string folder, string name) => $"{Files(e)}/{folder}/{Uri.EscapeDataString(name)}";

    static async Task<List<string>> Listed(HttpClient client, Expected e, string list)
    {
        var json = await client.GetJson(Files(e));
        return [.. json.GetProperty(list).EnumerateArray().Select(f => f.Str("path"))];
    }

    /// <summary>Waits until the index counts <paramref name="expected"/> files in the execution's <c>out/</c>.</summary>
    static Task IndexCounts(HttpClient client, Expected e, int expected, string what) =>
        Wait.Until(async () => (await client.GetJson($"/api/dashboard/execution/{e.Fid}/details")).GetProperty("metadata")
            .GetProperty("download_count").GetInt32() == expected, TimeSpan.FromSeconds(20), what);

    [Test]
    public async Task A_fifo_is_neither_listed_counted_nor_opened_and_many_of_them_do_not_starve_the_service()
    {
        var e = ExecutionOf(Alice, skip: 0);
        var outDir = Path.Combine(ExecutionRoot, e.UserId, e.Fid, "out");
        Directory.CreateDirectory(outDir);
        var regular = Directory.GetFiles(outDir, "*", SearchOption.AllDirectories).Length;
        var fifo = Path.Combine(outDir, $"pipe-{Guid.NewGuid():N}");
        Assert.That(MakeFifo(fifo, 0x1B6), Is.Zero, "mkfifo");
        using var client = WithToken(await SignIn(Alice));
        Assert.That(await Listed(client, e, "downloads"), Has.None.EqualTo(Path.GetFileName(fifo)));
        // A file beside it moves the folder for the index, which then counts the regular files only.
        await File.WriteAllTextAsync(Path.Combine(outDir, $"plain-{Guid.NewGuid():N}.txt"), "hers");
        await IndexCounts(client, e, regular + 1, "the index counts the regular files, not the FIFO");

        // An open that blocked would never answer: the client gives up after a generous while instead of hanging.
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var downloads = Enumerable.Range(0, 32).Select(_ => client.GetAsync(Download(e, "out", Path.GetFileName(fifo)), patience.Token)).ToList();
        var agents = await client.GetAsync("/api/dashboard/agents", patience.Token);
        Assert.That(agents.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the service answers meanwhile");
        foreach (var response in await Task.WhenAll(downloads))
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }

    [Test]
    public async Task A_hard_link_to_a_file_elsewhere_is_neither_listed_counted_nor_served()
    {
        var e = ExecutionOf(Alice, skip: 1);
        var outDir = Path.Combine(ExecutionRoot, e.UserId, e.Fid, "out");
        Directory.CreateDirectory(outDir);
        var regular = Directory.GetFiles(outDir, "*", SearchOption.AllDirectories).Length;
        var elsewhere = Path.Combine(DataDir, $"secret-{Guid.NewGuid():N}.txt");
        await File.WriteAllTextAsync(elsewhere, "not for alice");
        var linked = $"linked-{Guid.NewGuid():N}.txt";
        Assert.That(HardLink(elsewhere, Path.Combine(outDir, linked)), Is.Zero, "link");
        var plain = $"plain-{Guid.NewGuid():N}.txt";
        await File.WriteAllTextAsync(Path.Combine(outDir, plain), "hers");

        using var client = WithToken(await SignIn(Alice));
        var listed = await Listed(client, e, "downloads");
        Assert.That(listed, Has.Member(plain), "a regular file is listed");
        Assert.That(listed, Has.No.Member(linked));
        Assert.That((await client.GetAsync(Download(e, "out", linked))).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(await client.GetStringAsync(Download(e, "out", plain)), Is.EqualTo("hers"));
        await IndexCounts(client, e, regular + 1, "the index counts the regular file, not the link");
    }

    [Test]
    public async Task An_out_folder_that_is_a_symbolic_link_shows_serves_and_counts_nothing()
    {
        var e = ExecutionOf(Alice, skip: 2);
        var dir = Path.Combine(ExecutionRoot, e.UserId, e.Fid);
        var target = TempDirs.Create("kodo-link-target");
        using var cleanup = new DeleteOnDispose(target);
        await File.WriteAllTextAsync(Path.Combine(target, "passwd"), "root:x:0:0");
        var outDir = Path.Combine(dir, "out");
        if (Directory.Exists(outDir)) Directory.Delete(outDir, recursive: true);
        Directory.CreateSymbolicLink(outDir, target);
        // A new upload as well: once the index counts it, it has looked at the folder since the link appeared.
        var inDir = Path.Combine(dir, "in");
        Directory.CreateDirectory(inDir);
        await File.WriteAllTextAsync(Path.Combine(inDir, $"upload-{Guid.NewGuid():N}.txt"), "an upload");
        var uploads = Directory.GetFiles(inDir, "*", SearchOption.AllDirectories).Length;

        using var client = WithToken(await SignIn(Alice));
        JsonElement metadata = default;
        await Wait.Until(async () =>
        {
            metadata = (await client.GetJson($"/api/dashboard/execution/{e.Fid}/details")).GetProperty("metadata");
            return metadata.GetProperty("upload_count").GetInt32() == uploads;
        }, TimeSpan.FromSeconds(20), "the index looks at the execution again");
        Assert.That(metadata.GetProperty("download_count").GetInt32(), Is.Zero, "the link's target is not counted");
        Assert.That(await Listed(client, e, "downloads"), Is.Empty, "nor listed");
        Assert.That((await client.GetAsync(Download(e, "out", "passwd"))).StatusCode, Is.EqualTo(HttpStatusCode.NotFound), "nor served");
    }

    [DllImport("libc", EntryPoint = "mkfifo")]
    static extern int MakeFifo([MarshalAs(UnmanagedType.LPUTF8Str)] string path, uint mode);

    [DllImport("libc", EntryPoint = "link")]
    static extern int HardLink([MarshalAs(UnmanagedType.LPUTF8Str)] string existing, [MarshalAs(UnmanagedType.LPUTF8Str)] string created);
}
