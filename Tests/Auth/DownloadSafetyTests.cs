using System.Net;
using static Kodosumi.Tests.Auth.AuthDataSet;

namespace Kodosumi.Tests.Auth;

/// <summary>A user asking for files of their own execution cannot reach anything outside its folder.</summary>
[Category("Integration")]
public class DownloadSafetyTests
{
    HttpClient _alice = null!;
    Support.Expected _own = null!;
    Support.Expected _bobs = null!;
    string _bobsFile = "";

    [OneTimeSetUp]
    public void Pick()
    {
        _alice = Host.ClientFor(Alice.FolderName);
        _own = Executions.First(e => e.UserId == Alice.FolderName && e.Uploads > 0);
        _bobs = Executions.First(e => e.UserId == Bob.FolderName && e.Uploads > 0);
        _bobsFile = Path.GetFileName(Directory.GetFiles(Path.Combine(Host.ExecutionRoot, Bob.FolderName, _bobs.Fid, "in"))[0]);
    }

    [OneTimeTearDown]
    public void Dispose() => _alice.Dispose();

    string InAlices(string path) => $"{Dashboard}/execution/{_own.Fid}/files/in/{path}";

    [TestCase("../../admin.db")]
    [TestCase("..%2F..%2Fadmin.db")]
    [TestCase("%2e%2e/%2e%2e/admin.db")]
    [TestCase("%2e%2e%2f%2e%2e%2fadmin.db")]
    [TestCase("%2E%2E%2F%2E%2E%2F%2E%2E%2Fadmin.db")]
    [TestCase("..%5C..%5Cadmin.db")]
    [TestCase("%2Fetc%2Fpasswd")]
    [TestCase("%2F%2Fetc%2Fpasswd")]
    [TestCase("nested/../../sqlite3.db")]
    public async Task Paths_that_climb_or_are_absolute_are_refused(string path)
    {
        var response = await _alice.GetAsync(InAlices(path));
        Assert.That(response.StatusCode, Is.AnyOf(HttpStatusCode.NotFound, HttpStatusCode.BadRequest));
    }

    [Test]
    public async Task Climbing_into_another_users_execution_is_refused()
    {
        foreach (var climb in new[] { "../../../", "..%2F..%2F..%2F", "%2e%2e%2f%2e%2e%2f%2e%2e%2f" })
        {
            var url = InAlices($"{climb}{Bob.FolderName}/{_bobs.Fid}/in/{_bobsFile}");
            var response = await _alice.GetAsync(url);
            Assert.That(response.StatusCode, Is.AnyOf(HttpStatusCode.NotFound, HttpStatusCode.BadRequest), url);
        }
        var direct = await _alice.GetAsync($"{Dashboard}/execution/{_bobs.Fid}/files/in/{_bobsFile}");
        Assert.That(direct.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }

    [Test]
    public async Task Symlinks_out_of_the_execution_folder_are_not_followed()
    {
        var inDir = Path.Combine(Host.ExecutionRoot, Alice.FolderName, _own.Fid, "in");
        var toFile = Path.Combine(inDir, "to-admin-db.txt");
        var toFolder = Path.Combine(inDir, "to-bobs-folder");
        File.CreateSymbolicLink(toFile, Path.Combine(DataDir, "admin.db"));
        Directory.CreateSymbolicLink(toFolder, Path.Combine(Host.ExecutionRoot, Bob.FolderName, _bobs.Fid, "in"));
        try
        {
            Assert.That((await _alice.GetAsync(InAlices("to-admin-db.txt"))).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That((await _alice.GetAsync(InAlices($"to-bobs-folder/{_bobsFile}"))).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        }
        finally
        {
            File.Delete(toFile);
            Directory.Delete(toFolder);
        }
    }

    [Test]
    public async Task Her_own_file_downloads()
    {
        var file = Directory.GetFiles(Path.Combine(Host.ExecutionRoot, Alice.FolderName, _own.Fid, "in"))[0];
        var response = await _alice.GetAsync(InAlices(Uri.EscapeDataString(Path.GetFileName(file))));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await response.Content.ReadAsByteArrayAsync(), Is.EqualTo(await File.ReadAllBytesAsync(file)));
    }
}
