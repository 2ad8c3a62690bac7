using Kodosumi.Indexer.Sources;
using Kodosumi.Tests.Support;

namespace Kodosumi.Tests.Sources;

/// <summary>
/// The listing of a real execution tree, kept between scans: a user folder whose time has not moved keeps its listing,
/// and every way an execution can come or go still shows.
/// </summary>
[Category("Unit")]
public class ExecutionTreeTests : TempFolderTest
{
    static readonly DateTime LongAgo = DateTime.UtcNow.AddHours(-1);

    string Folder(string user, string fid) => Directory.CreateDirectory(Path.Combine(TempDir, user, fid)).FullName;

    string UserFolder(string user) => Path.Combine(TempDir, user);

    /// <summary>The user folder's time set back, as if no entry had come or gone since.</summary>
    void SetTime(string user, DateTime time) => Directory.SetLastWriteTimeUtc(UserFolder(user), time);

    static List<string> Fids(ExecutionTree tree) => [.. tree.Folders.Select(f => f.Fid).Order(StringComparer.Ordinal)];

    ExecutionTree Tree(TimeSpan? relistAfter = null) => new(TempDir, relistAfter ?? TimeSpan.FromHours(1));

    [Test]
    public void Every_execution_folder_is_listed_and_hidden_ones_and_files_are_not()
    {
        Folder("user-a", "exec-1");
        Folder("user-a", "exec-2");
        Folder("user-b", "exec-3");
        Folder("user-b", ".tmp-exec");
        Folder(".hidden-user", "exec-4");
        File.WriteAllText(Path.Combine(TempDir, "user-a", "not-a-folder"), "");

        var tree = Tree();
        Assert.That(tree.Refresh(), Is.True);
        Assert.That(tree.Folders.OrderBy(f => f.Fid, StringComparer.Ordinal).Select(f => (f.UserId, f.Fid, f.Path)), Is.EqualTo(new[]
        {
            ("user-a", "exec-1", Path.Combine(TempDir, "user-a", "exec-1")),
            ("user-a", "exec-2", Path.Combine(TempDir, "user-a", "exec-2")),
            ("user-b", "exec-3", Path.Combine(TempDir, "user-b", "exec-3")),
        }));
        Assert.That(tree.Count, Is.EqualTo(3));
        var missing = new ExecutionTree(Path.Combine(TempDir, "missing"), TimeSpan.FromHours(1));
        missing.Refresh();
        Assert.That(missing.Folders, Is.Empty);
    }

    [Test]
    public void A_folder_the_last_listing_found_for_the_same_user_is_the_same_record()
    {
        Folder("user-a", "exec-1");
        Folder("user-a", "exec-2");
        var tree = Tree();
        tree.Refresh();
        var first = tree.Folders.ToDictionary(f => f.Fid);

        Directory.CreateDirectory(Path.Combine(TempDir, "user-b"));
        Directory.Move(Path.Combine(TempDir, "user-a", "exec-2"), Path.Combine(TempDir, "user-b", "exec-2"));
        Folder("user-a", "exec-3");

        Assert.That(tree.Refresh(), Is.True);
        var again = tree.Folders.ToDictionary(f => f.Fid);
        Assert.That(again["exec-1"], Is.SameAs(first["exec-1"]), "unchanged: no new record");
        Assert.That(again["exec-2"], Is.Not.SameAs(first["exec-2"]), "the same fid under another user is a new record");
        Assert.That((again["exec-2"].UserId, again["exec-2"].Path), Is.EqualTo(("user-b", Path.Combine(TempDir, "user-b", "exec-2"))));
        Assert.That(again["exec-3"].UserId, Is.EqualTo("user-a"));
    }

    [Test]
    public void A_user_folder_whose_settled_time_has_not_moved_is_not_listed_again()
    {
        Folder("user-a", "exec-1");
        SetTime("user-a", LongAgo);
        var tree = Tree();
        tree.Refresh();

        // An entry the listing cannot know of, since the folder's time says nothing happened: proof that it was not read.
        Folder("user-a", "exec-2");
        SetTime("user-a", LongAgo);

        Assert.That(tree.Refresh(), Is.False, "nothing came or went");
        Assert.That(Fids(tree), Is.EqualTo(new[] { "exec-1" }));
    }

    [Test]
    public void A_new_execution_folder_in_a_user_folder_whose_listing_is_reused_appears()
    {
        Folder("user-a", "exec-1");
        Folder("user-b", "exec-2");
        SetTime("user-a", LongAgo);
        SetTime("user-b", LongAgo);
        var tree = Tree();
        tree.Refresh();
        Assert.That(tree.Refresh(), Is.False, "both listings are reused");

        Folder("user-a", "exec-3");

        Assert.That(tree.Refresh(), Is.True);
        Assert.That(Fids(tree), Is.EqualTo(new[] { "exec-1", "exec-2", "exec-3" }));
    }

    [Test]
    public void An_execution_folder_removed_or_a_user_folder_removed_disappears()
    {
        Folder("user-a", "exec-1");
        Folder("user-a", "exec-2");
        Folder("user-b", "exec-3");
        SetTime("user-a", LongAgo);
        SetTime("user-b", LongAgo);
        var tree = Tree();
        tree.Refresh();

        Directory.Delete(Path.Combine(TempDir, "user-a", "exec-2"));
        Assert.That(tree.Refresh(), Is.True);
        Assert.That(Fids(tree), Is.EqualTo(new[] { "exec-1", "exec-3" }));
        Assert.That(tree.Contains("exec-2", "user-a"), Is.False);

        Directory.Delete(UserFolder("user-b"), recursive: true);
        Assert.That(tree.Refresh(), Is.True);
        Assert.That(Fids(tree), Is.EqualTo(new[] { "exec-1" }));
        Assert.That(tree.Contains("exec-3", "user-b"), Is.False);
        Assert.That(tree.Contains("exec-1", "user-b"), Is.True, "found under its own user when asked for another");
    }

    /// <summary>Within the same tick of the file system's clock an entry can come without moving the folder's time.</summary>
    [Test]
    public void A_listing_made_within_the_racy_window_of_the_folder_time_is_not_trusted()
    {
        Folder("user-a", "exec-1");
        var justNow = DateTime.UtcNow.AddSeconds(-1);
        SetTime("user-a", justNow);
        var tree = Tree();
        tree.Refresh();

        Folder("user-a", "exec-2");
        SetTime("user-a", justNow);

        Assert.That(tree.Refresh(), Is.True, "listed again");
        Assert.That(Fids(tree), Is.EqualTo(new[] { "exec-1", "exec-2" }));
    }

    /// <summary>A file system whose folder times cannot be trusted hides a new execution for a bounded time only.</summary>
    [Test]
    public void A_listing_older_than_the_relisting_bound_is_not_reused()
    {
        Folder("user-a", "exec-1");
        SetTime("user-a", LongAgo);
        var tree = Tree(relistAfter: TimeSpan.FromMilliseconds(1));
        tree.Refresh();

        Folder("user-a", "exec-2");
        SetTime("user-a", LongAgo);
        Thread.Sleep(10);

        Assert.That(tree.Refresh(), Is.True);
        Assert.That(Fids(tree), Is.EqualTo(new[] { "exec-1", "exec-2" }));
    }
}
