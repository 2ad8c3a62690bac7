using Kodosumi.Shared;
using Kodosumi.Shared.Demo;
using Kodosumi.TestSupport;
using Kodosumi.Tests.Integration.Query;
using Kodosumi.Tests.Support;

namespace Kodosumi.Tests.Integration;

/// <summary>
/// Keyset paging while a separate writer process adds executions between pages, some newer than every
/// row, some in the middle of the order: every execution that existed at the start appears exactly once.
/// </summary>
[Category("Integration")]
public class CursorUnderInsertsTests : InProcessHostTest
{
    List<Expected> _atStart = [];
    readonly Random _random = new(17);

    [SetUp]
    public async Task Start()
    {
        CreateDataDir("kodo-cursor", new DemoOptions { Executions = 80, Seed = 4, LargeResultEvery = 0 });
        _atStart = Recount.All(ExecutionRoot);
        await StartHostAsync();
    }

    [TearDown]
    public void Stop() => DeleteDataSet();

    /// <summary>
    /// A finished execution written by the sqlite3 shell, started at <paramref name="start"/> and running
    /// <paramref name="runtime"/> seconds; returns once the service lists it.
    /// </summary>
    async Task AddExecution(DateTimeOffset start, double runtime)
    {
        var fid = Fids.New(start, _random);
        var t = start.ToUnixTimeMilliseconds() / 1000.0;
        using (var writer = SqliteCliWriter.Open(Path.Combine(Host.ExecutionRoot, DemoDataGenerator.Users[1].FolderName, fid, "sqlite3.db")))
        {
            writer.Append("status", "starting", t);
            writer.Append("meta", """{"dict": {"summary": "Late Arrival"}}""", t);
            writer.Append("status", "finished", t + runtime);
        }
        await Wait.Until(async () => (await Client.GetAsync($"/api/dashboard/execution/{fid}/details?limit=1")).IsSuccessStatusCode,
            TimeSpan.FromSeconds(20), $"the new execution {fid} is indexed");
    }

    /// <summary>One new execution per page: alternately the newest of all, and one started amid the existing ones.</summary>
    Func<Task> Inserts()
    {
        var oldest = _atStart.Min(e => e.StartTime);
        var newest = _atStart.Max(e => e.StartTime);
        var n = 0;
        return () => n++ % 2 == 0
            ? AddExecution(DateTimeOffset.UtcNow, _random.Next(1, 2000))
            : AddExecution(DateTimeOffset.FromUnixTimeMilliseconds((long)((oldest + _random.NextDouble() * (newest - oldest)) * 1000)),
                _random.Next(1, 2000));
    }

    [TestCase("")]
    [TestCase("&order=asc")]
    [TestCase("&sort=runtime&order=desc")]
    [TestCase("&sort=agent")]
    public async Task Pages_neither_repeat_nor_skip_rows_while_executions_arrive(string sort)
    {
        var fids = await SortAndCursorTests.WalkWithCursor(Client, $"hours=999999{sort}", 9, Inserts());
        Assert.That(fids, Is.Unique, "no row is repeated");
        Assert.That(fids, Is.SupersetOf(_atStart.Select(e => e.Fid)), "no row that existed at the start is skipped");
    }
}
