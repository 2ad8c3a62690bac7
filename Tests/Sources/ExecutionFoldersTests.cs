using Kodosumi.Indexer.Sources;
using Kodosumi.Tests.Support;

namespace Kodosumi.Tests.Sources;

/// <summary>The listing of a real execution tree, and its reuse of the last listing's records.</summary>
[Category("Unit")]
public class ExecutionFoldersTests : TempFolderTest
{
    string Folder(string user, string fid) => Directory.CreateDirectory(Path.Combine(TempDir, user, fid)).FullName;

    [Test]
    public void Every_execution_folder_is_listed_and_hidden_ones_and_files_are_not()
    {
        Folder("user-a", "exec-1");
        Folder("user-a", "exec-2");
        Folder("user-b", "exec-3");
        Folder("user-b", ".tmp-exec");
        Folder(".hidden-user", "exec-4");
        File.WriteAllText(Path.Combine(TempDir, "user-a", "not-a-folder"), "");

        var listed = ExecutionFolders.Enumerate(TempDir).OrderBy(f => f.Fid, StringComparer.Ordinal).ToList();
        Assert.That(listed.Select(f => (f.UserId, f.Fid, f.Path)), Is.EqualTo(new[]
        {
            ("user-a", "exec-1", Path.Combine(TempDir, "user-a", "exec-1")),
            ("user-a", "exec-2", Path.Combine(TempDir, "user-a", "exec-2")),
            ("user-b", "exec-3", Path.Combine(TempDir, "user-b", "exec-3")),
        }));
        Assert.That(ExecutionFolders.Enumerate(Path.Combine(TempDir, "missing")), Is.Empty);
    }

    [Test]
    public void A_folder_the_last_listing_found_for_the_same_user_is_the_same_record()
    {
        Folder("user-a", "exec-1");
        Folder("user-a", "exec-2");
        var first = ExecutionFolders.Enumerate(TempDir).ToDictionary(f => f.Fid);

        Directory.CreateDirectory(Path.Combine(TempDir, "user-b"));
        Directory.Move(Path.Combine(TempDir, "user-a", "exec-2"), Path.Combine(TempDir, "user-b", "exec-2"));
        Folder("user-a", "exec-3");

        var again = ExecutionFolders.Enumerate(TempDir, first).ToDictionary(f => f.Fid);
        Assert.That(again["exec-1"], Is.SameAs(first["exec-1"]), "unchanged: no new record");
        Assert.That(again["exec-2"], Is.Not.SameAs(first["exec-2"]), "the same fid under another user is a new record");
        Assert.That((again["exec-2"].UserId, again["exec-2"].Path), Is.EqualTo(("user-b", Path.Combine(TempDir, "user-b", "exec-2"))));
        Assert.That(again["exec-3"].UserId, Is.EqualTo("user-a"));
    }
}
