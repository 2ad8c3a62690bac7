using Kodosumi.Shared;
using Kodosumi.Shared.Demo;

namespace Kodosumi.TestSupport;

/// <summary>
/// Kodosumi at work: each writer is a <c>sqlite3</c> process of its own that creates an execution, appends its
/// events in WAL mode (status changes, errors, output), closes it (checkpoint, <c>-wal</c> gone) and starts the next.
/// Used by the resilience tests and the soak benchmark.
/// </summary>
public sealed class LiveWriters : IAsyncDisposable
{
    readonly CancellationTokenSource _stop = new();
    readonly List<Task> _loops = [];
    int _executions;
    int _events;

    public int Executions => Volatile.Read(ref _executions);
    public int Events => Volatile.Read(ref _events);

    /// <param name="pause">Time between two events of one execution.</param>
    /// <param name="keep">When set, each writer deletes its oldest finished execution beyond this many (a user cleaning up), so a long run stays the same size.</param>
    public static LiveWriters Start(string executionRoot, int writers, int seed, TimeSpan pause, int eventsPerExecution = 40, int? keep = null)
    {
        var live = new LiveWriters();
        for (var w = 0; w < writers; w++)
        {
            var random = new Random(seed + w);
            live._loops.Add(Task.Factory.StartNew(() => live.Loop(executionRoot, random, pause, eventsPerExecution, keep), TaskCreationOptions.LongRunning));
        }
        return live;
    }

    void Loop(string root, Random random, TimeSpan pause, int eventsPerExecution, int? keep)
    {
        var mine = new Queue<string>();
        while (!_stop.IsCancellationRequested)
        {
            var user = DemoDataGenerator.Users[random.Next(DemoDataGenerator.Users.Count)];
            var fid = Fids.New(DateTimeOffset.UtcNow, random);
            var folder = Path.Combine(root, user.FolderName, fid);
            if (keep is { } max && mine.Count >= max) Directory.Delete(mine.Dequeue(), recursive: true);
            mine.Enqueue(folder);
            using var writer = SqliteCliWriter.Open(Path.Combine(folder, "sqlite3.db"));
            Interlocked.Increment(ref _executions);
            Append(writer, "status", "starting");
            Append(writer, "meta", "{\"dict\": {\"summary\": \"Live " + random.Next(3) + "\", \"entry_point\": \"live:app\"}}");
            Append(writer, "status", "running");
            var count = random.Next(eventsPerExecution / 2, eventsPerExecution);
            for (var i = 0; i < count && !_stop.IsCancellationRequested; i++)
            {
                var roll = random.Next(10);
                if (roll == 0) Append(writer, "error", $"Traceback (most recent call last): step {i} of {fid} failed");
                else if (roll == 1) Append(writer, "status", random.Next(2) == 0 ? "awaiting" : "running");
                else Append(writer, "stdout", $"line {i} " + new string('x', random.Next(200)));
                Thread.Sleep(pause);
            }
            Append(writer, "status", random.Next(4) == 0 ? "error" : "finished");
            writer.Close();
        }
    }

    void Append(SqliteCliWriter writer, string kind, string message)
    {
        // Explicit, strictly growing timestamps: two events in one millisecond still order by id as Kodosumi's do.
        writer.Append(kind, message, Math.Round(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0, 3));
        Interlocked.Increment(ref _events);
    }

    /// <summary>Lets every writer finish its execution (closed, checkpointed) and stop.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_loops);
        _stop.Dispose();
    }
}
