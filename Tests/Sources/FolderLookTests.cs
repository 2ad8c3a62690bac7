using Kodosumi.Indexer.Platform;
using Kodosumi.Indexer.Sources;
using Kodosumi.Shared;
using Kodosumi.Shared.Model;
using Kodosumi.Tests.Support;

namespace Kodosumi.Tests.Sources;

/// <summary>
/// A look at a real execution folder. A rescan of an idle tree stats only the entries the last stamp named; every
/// kind of change must still change the stamp, and a folder changed within the racy window is listed again.
/// </summary>
[Category("Unit")]
public class FolderLookTests : TempFolderTest
{
    static readonly DateTime LongAgo = DateTime.UtcNow.AddHours(-1);

    RootStats? _stats;
    string _user = "user-1";
    ExecutionFolder Folder => new(TempDir, _user, "exec-1");

    [SetUp]
    public void Open() => _stats = RootStats.Open(TempDir) ?? throw new AssertionException("statx below the root is Linux-only");

    [TearDown]
    public void Close() => _stats?.Dispose();

    FolderLook FirstLook() => ExecutionFolders.Look(Folder) ?? throw new AssertionException("folder gone");

    FolderLook LookAgain(SourceStamp stamp) => ExecutionFolders.Look(Folder, stamp, _stats) ?? throw new AssertionException("folder gone");

    /// <summary>An execution folder with a database, in/ and out/, every time an hour old (as after a finished run).</summary>
    string SettledExecution()
    {
        var dir = Folder.Path;
        Directory.CreateDirectory(Path.Combine(dir, ExecutionLayout.Inputs));
        Directory.CreateDirectory(Path.Combine(dir, ExecutionLayout.Outputs));
        File.WriteAllBytes(Path.Combine(dir, ExecutionLayout.Database), new byte[4096]);
        File.WriteAllText(Path.Combine(dir, ExecutionLayout.Outputs, "result.txt"), "done");
        Settle(dir);
        return dir;
    }

    static void Settle(string dir)
    {
        foreach (var path in Directory.EnumerateFileSystemEntries(dir, "*", SearchOption.AllDirectories).Append(dir))
            File.SetLastWriteTimeUtc(path, LongAgo);
    }

    [Test]
    public void An_unchanged_settled_folder_is_not_listed_again_and_keeps_its_stamp()
    {
        var dir = SettledExecution();
        var first = FirstLook();
        Assert.That(first.Full, Is.True);
        Assert.That(first.Stamp.FolderSettled, Is.True, "an hour-old folder time is trusted");

        var again = LookAgain(first.Stamp);
        Assert.That(again.Full, Is.False, "only the named entries were stat'ed");
        Assert.That(again.Stamp, Is.EqualTo(first.Stamp));
        Assert.That(again.Database, Is.EqualTo(Path.Combine(dir, ExecutionLayout.Database)));
        Assert.That((again.HasInputs, again.HasOutputs), Is.EqualTo((true, true)));
        Assert.That(ExecutionFolders.Look(Folder, first.Stamp)?.Full, Is.True, "without root stats every look lists");
    }

    /// <summary>
    /// An idle rescan makes this look and comparison for every execution: allocating in it set off collections whose
    /// pauses delayed the requests answered during each rescan.
    /// </summary>
    [Test]
    public void A_look_that_finds_the_stamp_unchanged_allocates_nothing()
    {
        SettledExecution();
        var folder = Folder;
        // As a stamp read back from the index is: parsed from its text.
        var stamp = SourceStamp.Parse(FirstLook().Stamp.ToString()) ?? throw new AssertionException("the stamp reads back");
        Assert.That(LookAgain(stamp).HasStamp(stamp), Is.True);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var unchanged = 0;
        for (var i = 0; i < 100; i++)
            if (ExecutionFolders.Look(folder, stamp, _stats) is { } look && look.HasStamp(stamp) && look.HasSameFiles(stamp)) unchanged++;
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.That(unchanged, Is.EqualTo(100));
        Assert.That(allocated, Is.Zero);
    }

    [Test]
    public void Names_outside_ascii_are_stat_ed_as_utf8()
    {
        _user = "üser-ß-東京";
        SettledExecution();
        var first = FirstLook();
        var again = LookAgain(first.Stamp);
        Assert.That(again.Full, Is.False);
        Assert.That(again.Stamp, Is.EqualTo(first.Stamp));
    }

    [Test]
    public void A_database_of_the_older_name_is_found_again_without_a_listing()
    {
        var dir = SettledExecution();
        File.Move(Path.Combine(dir, ExecutionLayout.Database), Path.Combine(dir, ExecutionLayout.LegacyDatabase));
        Settle(dir);
        var first = FirstLook();
        var again = LookAgain(first.Stamp);
        Assert.That(again.Full, Is.False);
        Assert.That(again.Database, Is.EqualTo(Path.Combine(dir, ExecutionLayout.LegacyDatabase)));
        Assert.That(again.Stamp, Is.EqualTo(first.Stamp));
    }

    [Test]
    public void A_wal_appearing_changes_the_stamp()
    {
        var dir = SettledExecution();
        var before = FirstLook().Stamp;
        File.WriteAllBytes(Path.Combine(dir, ExecutionLayout.Database + "-wal"), new byte[32]);
        var after = LookAgain(before);
        Assert.That(after.Full, Is.True, "the folder's time moved");
        Assert.That(after.Stamp, Is.Not.EqualTo(before));
    }

    [Test]
    public void A_database_overwritten_in_place_changes_the_stamp_though_the_folder_time_stays()
    {
        var dir = SettledExecution();
        var before = FirstLook().Stamp;
        var db = Path.Combine(dir, ExecutionLayout.Database);
        using (var file = new FileStream(db, FileMode.Open, FileAccess.Write)) file.Write(new byte[8192]);
        Assert.That(Directory.GetLastWriteTimeUtc(dir), Is.EqualTo(LongAgo), "writing a file in place leaves its folder's time");

        Assert.That(LookAgain(before).Stamp, Is.Not.EqualTo(before));
    }

    [Test]
    public void A_file_added_to_out_changes_the_stamp()
    {
        var dir = SettledExecution();
        var before = FirstLook().Stamp;
        File.WriteAllText(Path.Combine(dir, ExecutionLayout.Outputs, "later.txt"), "more");
        Assert.That(LookAgain(before).Stamp, Is.Not.EqualTo(before));
    }

    [Test]
    public void A_named_entry_that_is_gone_makes_a_full_look()
    {
        var dir = SettledExecution();
        var before = FirstLook().Stamp;
        Directory.Delete(Path.Combine(dir, ExecutionLayout.Inputs), recursive: true);
        // As if the folder's time had not moved: the missing entry alone must send the look to a full one.
        File.SetLastWriteTimeUtc(dir, LongAgo);
        var after = LookAgain(before);
        Assert.That(after.Full, Is.True);
        Assert.That(after.HasInputs, Is.False);
        Assert.That(after.Stamp, Is.Not.EqualTo(before));
    }

    [Test]
    public void A_folder_changed_within_the_racy_window_is_listed_until_its_time_settles()
    {
        var dir = SettledExecution();
        File.WriteAllBytes(Path.Combine(dir, ExecutionLayout.Database + "-wal"), new byte[32]);
        var fresh = FirstLook();
        Assert.That(fresh.Stamp.ToString(), Does.StartWith("?|"), "a folder time this recent is not trusted");

        var again = LookAgain(fresh.Stamp);
        Assert.That(again.Full, Is.True, "an unsettled stamp is never enough without a full look");
        Assert.That(again.Stamp, Is.EqualTo(fresh.Stamp), "nothing changed meanwhile");

        Settle(dir);
        var settled = LookAgain(fresh.Stamp);
        Assert.That(settled.Stamp.FolderSettled, Is.True);
        Assert.That(LookAgain(settled.Stamp).Full, Is.False, "from then on a stat of each entry is enough");
    }

    [Test]
    public void A_wal_written_within_the_racy_window_is_never_taken_as_unchanged()
    {
        var dir = SettledExecution();
        var wal = Path.Combine(dir, ExecutionLayout.Database + "-wal");
        File.WriteAllBytes(wal, new byte[32]);
        File.SetLastWriteTimeUtc(dir, LongAgo);
        var fresh = FirstLook();
        Assert.That(fresh.WalSettled, Is.False);
        Assert.That(FolderLook.IsRacy(fresh.Stamp), Is.True, "the stamp says its WAL part is not trusted");
        Assert.That(fresh.Stamp.ToString().Split('|')[2], Does.EndWith("~"));
        Assert.That(fresh.HasStamp(fresh.Stamp), Is.False, "a commit may still be published without the WAL changing again");
        Assert.That(fresh.HasSameFiles(fresh.Stamp), Is.False);
        Assert.That(LookAgain(fresh.Stamp).Full, Is.True);

        File.SetLastWriteTimeUtc(wal, LongAgo);
        var settled = LookAgain(fresh.Stamp);
        Assert.That(settled.Stamp, Is.Not.EqualTo(fresh.Stamp), "a settled WAL changes the stamp, so what was read is read again once");
        Assert.That(FolderLook.IsRacy(settled.Stamp), Is.False);
        Assert.That(LookAgain(settled.Stamp).HasStamp(settled.Stamp), Is.True);
    }

    [Test]
    public void A_stamp_of_the_older_format_makes_a_listing()
    {
        SettledExecution();
        var current = FirstLook().Stamp;
        var text = current.ToString();
        var older = SourceStamp.Parse(text[(text.IndexOf('|') + 1)..]) ?? throw new AssertionException("an older stamp reads");
        Assert.That(older.FolderTicks, Is.EqualTo(SourceStamp.NoFolderPart));
        var look = LookAgain(older);
        Assert.That(look.Full, Is.True);
        Assert.That(look.Stamp, Is.EqualTo(current));
    }

    [Test]
    public void Same_files_ignore_the_folder_s_own_time_but_not_a_file_s()
    {
        var dir = SettledExecution();
        var settled = FirstLook();
        var text = settled.Stamp.ToString();
        var files = text[(text.IndexOf('|') + 1)..];
        Assert.That(settled.HasSameFiles(SourceStamp.Parse("?|" + files)), Is.True, "a stamp taken while the folder's time was unsettled");
        Assert.That(settled.HasSameFiles(SourceStamp.Parse(files)), Is.True, "a stamp of an older build, without the folder's time");
        Assert.That(settled.HasStamp(SourceStamp.Parse(files)), Is.False);
        Assert.That(settled.HasSameFiles(settled.Stamp), Is.True);

        File.WriteAllText(Path.Combine(dir, ExecutionLayout.Outputs, "later.txt"), "more");
        Assert.That(FirstLook().HasSameFiles(settled.Stamp), Is.False);
    }

    /// <summary>Layouts a listing and a stat of each name must agree on, odd ones included.</summary>
    static IEnumerable<TestCaseData> Layouts()
    {
        yield return new TestCaseData((object)new[] { "sqlite3.db", "sqlite3.db-wal", "in/", "out/" }).SetName("{m}(live)");
        yield return new TestCaseData((object)new[] { "db.sqlite", "db.sqlite-wal", "sqlite3.db-wal" }).SetName("{m}(older name)");
        yield return new TestCaseData((object)new[] { "sqlite3.db", "db.sqlite", "db.sqlite-wal" }).SetName("{m}(both names)");
        yield return new TestCaseData((object)new[] { "sqlite3.db/", "db.sqlite", "in" }).SetName("{m}(a folder with the database's name)");
        yield return new TestCaseData((object)new[] { "sqlite3.db-wal", "out/" }).SetName("{m}(a WAL without its database)");
        yield return new TestCaseData((object)new[] { "sqlite3.db", "out->in", "in/" }).SetName("{m}(out is a link)");
        yield return new TestCaseData((object)Array.Empty<string>()).SetName("{m}(empty)");
    }

    [TestCaseSource(nameof(Layouts))]
    public void A_stat_of_each_name_sees_what_a_listing_sees(string[] entries)
    {
        var dir = Folder.Path;
        Directory.CreateDirectory(dir);
        foreach (var entry in entries)
        {
            if (entry.Split("->") is [var link, var target]) File.CreateSymbolicLink(Path.Combine(dir, link), target);
            else if (entry.EndsWith('/')) Directory.CreateDirectory(Path.Combine(dir, entry));
            else File.WriteAllBytes(Path.Combine(dir, entry), new byte[entry.Length * 100]);
        }
        Settle(dir);

        var stated = ExecutionFolders.Look(Folder, null, _stats) ?? throw new AssertionException("folder gone");
        var listed = FirstLook();
        Assert.That((stated.Full, listed.Full), Is.EqualTo((true, true)));
        Assert.That(stated.Stamp, Is.EqualTo(listed.Stamp));
        Assert.That(stated.Database, Is.EqualTo(listed.Database));
        Assert.That((stated.HasInputs, stated.HasOutputs), Is.EqualTo((listed.HasInputs, listed.HasOutputs)));
    }

    [Test]
    public void A_folder_that_is_gone_is_no_look()
    {
        var dir = SettledExecution();
        var before = FirstLook().Stamp;
        Directory.Delete(dir, recursive: true);
        Assert.That(ExecutionFolders.Look(Folder, before, _stats), Is.Null);
    }
}
