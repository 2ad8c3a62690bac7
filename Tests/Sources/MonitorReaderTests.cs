using Kodosumi.Indexer.Sources;
using Kodosumi.Shared;
using Kodosumi.TestSupport;
using Kodosumi.Shared.Model;
using Kodosumi.Tests.Support;
using Microsoft.Data.Sqlite;

namespace Kodosumi.Tests.Sources;

/// <summary>
/// Reads of real execution databases written by the sqlite3 CLI in WAL mode: a finished one is read from an image in
/// memory on a connection that is reused for the next database, a live one from the file with its WAL.
/// </summary>
[Category("Unit")]
public class MonitorReaderTests : TempFolderTest
{
    string Finished(string name, params string[] statuses)
    {
        var path = Path.Combine(TempDir, name, ExecutionLayout.Database);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var writer = SqliteCliWriter.Open(path);
        foreach (var status in statuses) writer.Append("status", status);
        writer.Close();
        Assert.That(File.Exists(path + "-wal"), Is.False, "closing the writer finished the database");
        return path;
    }

    static List<MonitorRow> Read(string path)
    {
        using var reader = MonitorReader.Open(path);
        var rows = new List<MonitorRow>();
        var (identity, maxId) = reader.ReadPage(0, 100, 1000, rows);
        Assert.That(identity, Does.StartWith("1:"));
        Assert.That(maxId, Is.Null, "from the start nothing can be missing");
        // Past a cursor the same connection prepares the other statement: the same fingerprint, the highest id, the rest.
        var rest = new List<MonitorRow>();
        var (again, highest) = reader.ReadPage(1, 100, 1000, rest);
        Assert.That((again, highest), Is.EqualTo((identity, (long?)rows.Count)));
        Assert.That(rest.Select(r => r.Id), Is.EqualTo(rows.Skip(1).Select(r => r.Id)));
        return rows;
    }

    [Test]
    public void Finished_databases_read_one_after_another_each_show_their_own_rows()
    {
        var paths = Enumerable.Range(1, 20).Select(i => Finished($"e{i}", [.. Enumerable.Repeat("running", i), "finished"])).ToList();
        var empty = Path.Combine(TempDir, "empty", ExecutionLayout.Database);
        Directory.CreateDirectory(Path.GetDirectoryName(empty)!);
        using (var connection = new SqliteConnection($"Data Source={empty};Pooling=False"))
        {
            connection.Open();
            using var create = connection.CreateCommand();
            create.CommandText = "PRAGMA journal_mode=wal; CREATE TABLE other (x);";
            create.ExecuteNonQuery();
        }

        for (var round = 0; round < 2; round++)
        {
            for (var i = 0; i < paths.Count; i++)
            {
                var rows = Read(paths[i]);
                Assert.That(rows, Has.Count.EqualTo(i + 2), $"database {i + 1}");
                Assert.That(rows[^1].Message, Is.EqualTo("finished"));
                if (i == 10)
                    Assert.That(() => MonitorReader.Open(empty), Throws.TypeOf<SourceProblemException>(),
                        "a database without the table, between two that have it");
            }
        }
    }

    [Test]
    public void A_live_database_is_read_with_its_wal_and_then_finished_from_its_image()
    {
        var path = Path.Combine(TempDir, "live", ExecutionLayout.Database);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var writer = SqliteCliWriter.Open(path);
        writer.Append("status", "running");
        writer.Append("status", "finished");
        Assert.That(File.Exists(path + "-wal"), "the rows are in the WAL");
        Assert.That(Read(path).Select(r => r.Message), Is.EqualTo(new[] { "running", "finished" }));

        writer.Close();
        Assert.That(Read(path).Select(r => r.Message), Is.EqualTo(new[] { "running", "finished" }));
    }
}
