using Kodosumi.Shared.Model;

namespace Kodosumi.Tests.Sources;

/// <summary>
/// The stamp is held as numbers and stored as text: every stamp must read back equal, the text must stay the format
/// indexes already hold, and a text that is no stamp must read as none (which refolds the execution) rather than as one.
/// </summary>
[Category("Unit")]
public class SourceStampTests
{
    const long T = 638_700_000_000_000_000;

    [TestCase("638700000000000000|4096@638700000000000001|-|638700000000000002|638700000000000003")]
    [TestCase("?|4096@638700000000000001|32@638700000000000004~|-|-")]
    [TestCase("?|4096@638700000000000001|0@638700000000000004|-|-")]
    [TestCase("638700000000000000|-|-|-|-")]
    [TestCase("0|0@0|-|0|0")]
    [TestCase("4096@638700000000000001|-|638700000000000002|-")]
    public void A_stamp_reads_back_from_its_text_unchanged(string text)
    {
        var stamp = SourceStamp.Parse(text);
        Assert.That(stamp, Is.Not.Null);
        Assert.That(stamp!.Value.ToString(), Is.EqualTo(text));
        Assert.That(SourceStamp.Parse(stamp.Value.ToString()), Is.EqualTo(stamp));
    }

    [Test]
    public void Its_parts_are_read_into_their_places()
    {
        var stamp = SourceStamp.Parse($"{T}|4096@{T + 1}|32@{T + 2}~|-|{T + 3}")!.Value;
        Assert.That(stamp, Is.EqualTo(new SourceStamp
        {
            FolderTicks = T,
            DatabaseLength = 4096, DatabaseTicks = T + 1,
            WalLength = 32, WalTicks = T + 2, WalUnsettled = true,
            InputsTicks = SourceStamp.None, OutputsTicks = T + 3,
        }));
        Assert.That((stamp.HasDatabase, stamp.HasWal, stamp.HasInputs, stamp.HasOutputs), Is.EqualTo((true, true, false, true)));
    }

    [Test]
    public void An_older_stamp_names_the_same_files_without_a_folder_time()
    {
        var current = SourceStamp.Parse($"{T}|4096@{T + 1}|-|{T + 2}|-")!.Value;
        var older = SourceStamp.Parse($"4096@{T + 1}|-|{T + 2}|-")!.Value;
        Assert.That(older.FolderTicks, Is.EqualTo(SourceStamp.NoFolderPart));
        Assert.That(older, Is.Not.EqualTo(current));
        Assert.That(older.HasSameFiles(current), Is.True);
        Assert.That(older.HasSameFiles(current with { DatabaseLength = 8192 }), Is.False);
        Assert.That(current.HasSameFiles(current with { FolderTicks = SourceStamp.None }), Is.True);
        Assert.That(current.HasSameFiles(current with { WalUnsettled = true }), Is.False);
    }

    [TestCase("")]
    [TestCase("garbage")]
    [TestCase("1|2|3")]
    [TestCase("1|2@3|-|-|-|-")]
    [TestCase("x|2@3|-|-|-")]
    [TestCase("1|2@|-|-|-")]
    [TestCase("1|@3|-|-|-")]
    [TestCase("1|-2@3|-|-|-")]
    [TestCase("1|2@3~|-|-|-")]
    [TestCase("1|2@3|-|?|-")]
    [TestCase("1|2@3|-|-|99999999999999999999")]
    [TestCase(" 1|2@3|-|-|-")]
    public void A_text_that_is_no_stamp_reads_as_none(string text) => Assert.That(SourceStamp.Parse(text), Is.Null);
}
