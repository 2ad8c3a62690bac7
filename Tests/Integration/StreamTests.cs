using System.Net;
using System.Net.ServerSentEvents;
using System.Text.Json;
using Kodosumi.Indexer.Store;
using Kodosumi.Shared;
using Kodosumi.Shared.Demo;
using Kodosumi.TestSupport;
using Kodosumi.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Kodosumi.Tests.Integration;

/// <summary>
/// The live stream read by a real SSE parser over HTTP, while a separate <c>sqlite3</c> process writes
/// the executions: status changes, new executions and errors arrive, filtered per user, resumable.
/// </summary>
[Category("Integration")]
public class StreamTests : InProcessHostTest
{
    const string Stream = "/api/dashboard/stream";
    static readonly TimeSpan Soon = TimeSpan.FromSeconds(10);
    static readonly DemoUser Alice = DemoDataGenerator.Users[1];
    static readonly DemoUser Bob = DemoDataGenerator.Users[2];

    [OneTimeSetUp]
    public async Task Start()
    {
        CreateDataDir("kodo-stream", new DemoOptions { Executions = 40, Seed = 5 });
        // Slow rescans (changes come from the watcher), a quick heartbeat, and a ring smaller than the
        // first scan's events, so an id from the start has already left it.
        await StartHostAsync(rescan: TimeSpan.FromMinutes(10), settings: new Dictionary<string, string?>
        {
            ["Stream:HeartbeatInterval"] = "00:00:00.300",
            ["Stream:BufferSize"] = "16",
            // Tests here write to executions that finished long ago: all of them stay watched.
            ["Indexer:WatchFinishedFor"] = "365.00:00:00",
        });
    }

    /// <summary>One open stream, parsed with the runtime's own SSE parser.</summary>
    internal sealed class SseClient : IAsyncDisposable
    {
        readonly HttpClient Client;
        readonly HttpResponseMessage _response;
        readonly SseParser<string> _parser;
        readonly IAsyncEnumerator<SseItem<string>> _items;
        readonly CancellationTokenSource _stop = new();

        SseClient(HttpClient client, HttpResponseMessage response, Stream body)
        {
            Client = client;
            _response = response;
            _parser = SseParser.Create(body);
            _items = _parser.EnumerateAsync(_stop.Token).GetAsyncEnumerator(_stop.Token);
        }

        public static Task<SseClient> Open(IndexerHost host, string userId, string? lastEventId = null, string query = "") =>
            Open(host.ClientFor(userId), lastEventId, query);

        public static async Task<SseClient> Open(HttpClient client, string? lastEventId = null, string query = "")
        {
            var request = new HttpRequestMessage(HttpMethod.Get, Stream + query);
            if (lastEventId is not null) request.Headers.Add("Last-Event-ID", lastEventId);
            var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/event-stream"));
            return new SseClient(client, response, await response.Content.ReadAsStreamAsync());
        }

        /// <summary>The events received so far, heartbeats aside.</summary>
        public List<SseItem<string>> Received { get; } = [];

        /// <summary>The heartbeats received so far, each with the parser's last event id right after it.</summary>
        public List<(SseItem<string> Item, string LastEventId)> Heartbeats { get; } = [];

        /// <summary>The id a reconnecting client sends: the last one the parser saw (an event without one keeps it).</summary>
        public string LastEventId => _parser.LastEventId;

        Task<bool>? _pending;

        /// <summary>The next item, as a task that survives a timeout: the parser must never be asked twice at once.</summary>
        async Task<bool> MoveNext(CancellationToken ct)
        {
            var moved = await (_pending ??= _items.MoveNextAsync().AsTask()).WaitAsync(ct);
            _pending = null;
            if (moved && _items.Current.EventType == "heartbeat") Heartbeats.Add((_items.Current, _parser.LastEventId));
            else if (moved) Received.Add(_items.Current);
            return moved;
        }

        /// <summary>Reads until <paramref name="count"/> heartbeats have come in all.</summary>
        public async Task HeartbeatsUntil(int count)
        {
            using var timeout = new CancellationTokenSource(Soon);
            while (Heartbeats.Count < count)
                Assert.That(await MoveNext(timeout.Token), Is.True, "the stream stays open");
        }

        /// <summary>
        /// The first event received so far that matches, else reads until one does (events of one batch
        /// come in the order the catalog applied them); everything read is kept in <see cref="Received"/>.
        /// </summary>
        public async Task<SseItem<string>> Until(Func<SseItem<string>, JsonElement, bool> match, string what)
        {
            foreach (var seen in Received)
                if (match(seen, JsonDocument.Parse(seen.Data).RootElement)) return seen;
            using var timeout = new CancellationTokenSource(Soon);
            while (true)
            {
                bool moved;
                var count = Received.Count;
                try
                {
                    moved = await MoveNext(timeout.Token);
                }
                catch (OperationCanceledException)
                {
                    Assert.Fail($"Timed out after {Soon}: {what}; received {string.Join(" | ", Received.Select(i => $"{i.EventType} {i.Data}"))}");
                    throw;
                }
                Assert.That(moved, Is.True, "the stream stays open");
                if (Received.Count == count) continue; // a heartbeat
                var item = Received[^1];
                if (match(item, JsonDocument.Parse(item.Data).RootElement)) return item;
            }
        }

        /// <summary>True once the server has ended the stream.</summary>
        public async Task<bool> EndsWithin(TimeSpan wait)
        {
            using var timeout = new CancellationTokenSource(wait);
            try
            {
                while (await MoveNext(timeout.Token)) { }
                return true;
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _response.Dispose();
            Client.Dispose();
            _stop.Dispose();
        }
    }

    Expected ExecutionOf(DemoUser user, string status) =>
        Recount.All(Host.ExecutionRoot).First(e => e.UserId == user.FolderName && e.Status == status);

    void Write(Expected e, string kind, string message)
    {
        using var writer = SqliteCliWriter.Open(Path.Combine(Host.ExecutionRoot, e.UserId, e.Fid, "sqlite3.db"));
        writer.Append(kind, message, Recount.One(Path.Combine(Host.ExecutionRoot, e.UserId, e.Fid)).Last + 1);
    }

    static bool IsEvent(SseItem<string> item, JsonElement data, string type, string fid) =>
        item.EventType == type && data.TryGetProperty("fid", out var f) && f.GetString() == fid;

    [Test]
    public async Task A_status_change_by_a_separate_writer_reaches_those_who_may_see_it()
    {
        await using var admin = await SseClient.Open(Host, IndexerHost.Operator);
        await using var alice = await SseClient.Open(Host, Alice.FolderName);
        var bobs = ExecutionOf(Bob, "finished");
        var hers = ExecutionOf(Alice, "finished");

        Write(bobs, "status", "error");
        var status = await admin.Until((i, d) => IsEvent(i, d, IndexEvent.StatusChanged, bobs.Fid), "Bob's status change reaches the operator");
        var data = JsonDocument.Parse(status.Data).RootElement;
        Assert.That(data.GetProperty("status").GetString(), Is.EqualTo("error"));
        Assert.That(data.GetProperty("previous_status").GetString(), Is.EqualTo("finished"));
        Assert.That(data.GetProperty("user_id").GetString(), Is.EqualTo(Bob.FolderName));
        Assert.That(status.EventId, Does.Match("^[0-9a-f]+-[0-9]+$"));

        // Events go out in the order they were applied: had Bob's been sent to Alice, it would come first.
        Write(hers, "error", "Traceback (most recent call last):\nValueError: hers");
        await alice.Until((i, d) => IsEvent(i, d, IndexEvent.Error, hers.Fid), "Alice's new error reaches her");
        Assert.That(alice.Received.Select(i => JsonDocument.Parse(i.Data).RootElement.GetProperty("user_id").GetString()),
            Has.All.EqualTo(Alice.FolderName), "Alice is told only about her own executions");
        Assert.That(alice.Received.Select(i => i.EventId), Has.All.Not.Empty, "every event has an id");
    }

    [Test]
    public async Task A_new_execution_is_announced()
    {
        await using var admin = await SseClient.Open(Host, IndexerHost.Operator);
        var fid = Fids.New(DateTimeOffset.UtcNow, Random.Shared);
        using (var writer = SqliteCliWriter.Open(Path.Combine(Host.ExecutionRoot, Alice.FolderName, fid, "sqlite3.db")))
        {
            writer.Append("meta", """{"dict": {"summary": "Streamed Agent"}}""");
            writer.Append("status", "running");
        }
        var item = await admin.Until((i, d) => IsEvent(i, d, IndexEvent.Execution, fid), "the new execution is announced");
        Assert.That(JsonDocument.Parse(item.Data).RootElement.GetProperty("agent_name").GetString(), Is.AnyOf("Streamed Agent", "Unknown"));
        // Folded whole before the next test opens its stream, which must hear nothing of this one.
        await Wait.Until(() => Task.FromResult(Host.Services.GetRequiredService<ExecutionCatalog>().Find(fid)?.Status == "running"),
            Soon, "the new execution's status is indexed");
    }

    [Test]
    public async Task An_infinite_timestamp_goes_out_as_null_and_the_stream_goes_on()
    {
        await using var admin = await SseClient.Open(Host, IndexerHost.Operator);
        var odd = Fids.New(DateTimeOffset.UtcNow, Random.Shared);
        using (var writer = SqliteCliWriter.Open(Path.Combine(Host.ExecutionRoot, Alice.FolderName, odd, "sqlite3.db")))
        {
            writer.Append("status", "running");
            // SQLite keeps an overflowing REAL as infinity, which JSON cannot hold.
            writer.Run("INSERT INTO monitor (timestamp, kind, message) VALUES (9e999, 'error', 'boom');");
        }
        var item = await admin.Until((i, d) => IsEvent(i, d, IndexEvent.Error, odd), "the error with an infinite time is announced");
        Assert.That(JsonDocument.Parse(item.Data).RootElement.GetProperty("timestamp").ValueKind, Is.EqualTo(JsonValueKind.Null));

        var next = Fids.New(DateTimeOffset.UtcNow, Random.Shared);
        using (var writer = SqliteCliWriter.Open(Path.Combine(Host.ExecutionRoot, Alice.FolderName, next, "sqlite3.db")))
            writer.Append("status", "running");
        await admin.Until((i, d) => IsEvent(i, d, IndexEvent.Execution, next), "the stream still runs");
    }

    [Test]
    public async Task A_client_that_reconnects_with_its_last_event_id_gets_what_it_missed()
    {
        var e = ExecutionOf(Bob, "finished");
        string lastId;
        await using (var first = await SseClient.Open(Host, IndexerHost.Operator))
        {
            Write(e, "status", "running");
            lastId = (await first.Until((i, d) => IsEvent(i, d, IndexEvent.StatusChanged, e.Fid), "the first change")).EventId!;
        }

        // Written while no client listens.
        Write(e, "error", "missed failure");
        Write(e, "status", "error");
        await Wait.Until(() => Task.FromResult(Host.Services.GetRequiredService<ExecutionCatalog>().Find(e.Fid)?.Status == "error"),
            Soon, "both writes are indexed");

        await using var again = await SseClient.Open(Host, IndexerHost.Operator, lastId);
        await again.Until((i, d) => IsEvent(i, d, IndexEvent.Error, e.Fid), "the missed error");
        await again.Until((i, d) => IsEvent(i, d, IndexEvent.StatusChanged, e.Fid) && d.GetProperty("status").GetString() == "error", "the missed status");
        Assert.That(again.Received.Select(i => i.EventType), Has.None.EqualTo("reset"));

        // The query parameter does the same for an EventSource opened anew.
        await using var byQuery = await SseClient.Open(Host, IndexerHost.Operator, query: $"?last_event_id={lastId}");
        await byQuery.Until((i, d) => IsEvent(i, d, IndexEvent.Error, e.Fid), "the missed error, resumed by query");
    }

    [Test]
    public async Task An_id_the_ring_no_longer_holds_or_of_another_run_gets_a_reset()
    {
        var epoch = Host.Services.GetRequiredService<IndexEvents>().Epoch;
        await using (var tooOld = await SseClient.Open(Host, IndexerHost.Operator, $"{epoch}-1"))
        {
            var reset = await tooOld.Until((i, _) => i.EventType == "reset", "a reset for an id older than the ring");
            Assert.That(tooOld.Received, Has.Count.EqualTo(1), "the reset comes first");
            Assert.That(reset.EventId, Does.StartWith(epoch + "-"));
        }
        var otherEpoch = epoch == "00000000" ? "00000001" : "00000000";
        await using var otherRun = await SseClient.Open(Host, IndexerHost.Operator, $"{otherEpoch}-3");
        await otherRun.Until((i, _) => i.EventType == "reset", "a reset for an id of another run");
    }

    [TestCase("Last-Event-ID", "not-an-id")]
    [TestCase("last_event_id", "12x")]
    public async Task A_malformed_last_event_id_is_a_bad_request_naming_it(string where, string value)
    {
        using var client = Host.ClientFor(IndexerHost.Operator);
        var request = new HttpRequestMessage(HttpMethod.Get, where == "last_event_id" ? $"{Stream}?last_event_id={value}" : Stream);
        if (where == "Last-Event-ID") request.Headers.Add(where, value);
        var response = await client.SendAsync(request);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain(where));
    }

    [Test]
    public async Task The_stream_needs_a_token()
    {
        using var anonymous = Host.CreateClient();
        Assert.That((await anonymous.GetAsync(Stream, HttpCompletionOption.ResponseHeadersRead)).StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    [Test]
    public async Task The_stream_ends_when_its_token_expires()
    {
        using var client = Host.CreateClient();
        client.DefaultRequestHeaders.Add("KODOSUMI_API_KEY", Kodosumi.Tests.Auth.TestJwt.For(Alice.FolderName, Host.Secret, TimeSpan.FromSeconds(2)));
        await using var stream = await SseClient.Open(client);
        Assert.That(await stream.EndsWithin(Soon), "the server closes the stream of an expired token");
    }

    [Test]
    public async Task The_stream_ends_when_the_role_is_deactivated()
    {
        await using var stream = await SseClient.Open(Host, Bob.FolderName);
        Assert.That(await stream.EndsWithin(TimeSpan.FromSeconds(1)), Is.False, "an active role's stream stays open");
        SetActive(Bob, false);
        try
        {
            Assert.That(await stream.EndsWithin(Soon), "the server closes the stream of a deactivated role");
            using var client = Host.ClientFor(Bob.FolderName);
            Assert.That((await client.GetAsync(Stream, HttpCompletionOption.ResponseHeadersRead)).StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized),
                "and its reconnect is refused");
        }
        finally
        {
            SetActive(Bob, true);
        }
    }

    /// <summary>Changes admin.db as Kodosumi would, with a connection of its own.</summary>
    void SetActive(DemoUser user, bool active) =>
        AdminDb.SetRole(DataDir, user, "active", active);

    [Test]
    public async Task A_quiet_stream_sends_heartbeat_events_with_the_interval_and_no_id()
    {
        var before = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        await using var stream = await SseClient.Open(Host, Alice.FolderName);
        // One right as the stream opens (so a client learns the interval before anything is quiet), then more.
        await stream.HeartbeatsUntil(3);
        Assert.That(stream.Received.Select(i => $"{i.EventType} {i.Data}"), Is.Empty, "nothing else was sent");
        foreach (var (item, lastEventId) in stream.Heartbeats)
        {
            var data = JsonDocument.Parse(item.Data).RootElement;
            Assert.That(data.GetProperty("interval").GetDouble(), Is.EqualTo(0.3), "the host's Stream:HeartbeatInterval, in seconds");
            Assert.That(data.GetProperty("time").GetInt64(), Is.InRange(before, DateTimeOffset.UtcNow.ToUnixTimeSeconds()));
            Assert.That(lastEventId, Is.Empty, "a heartbeat carries no id");
        }

        // After an event, heartbeats leave its id the one to resume from.
        var e = ExecutionOf(Alice, "finished");
        Write(e, "status", "running");
        var changed = await stream.Until((i, d) => IsEvent(i, d, IndexEvent.StatusChanged, e.Fid), "the change");
        var seen = stream.Heartbeats.Count;
        await stream.HeartbeatsUntil(seen + 2);
        Assert.That(stream.Heartbeats.Skip(seen).Select(h => h.LastEventId), Has.All.EqualTo(changed.EventId));
        Assert.That(stream.LastEventId, Is.EqualTo(changed.EventId));

        // A resume from there gets what came since, not a reset.
        Write(e, "status", "finished");
        await Wait.Until(() => Task.FromResult(Host.Services.GetRequiredService<ExecutionCatalog>().Find(e.Fid)?.Status == "finished"),
            Soon, "the second change is indexed");
        await using var resumed = await SseClient.Open(Host, Alice.FolderName, stream.LastEventId);
        await resumed.Until((i, d) => IsEvent(i, d, IndexEvent.StatusChanged, e.Fid) && d.GetProperty("status").GetString() == "finished", "the change since");
        Assert.That(resumed.Received.Select(i => i.EventType), Has.None.EqualTo("reset"));
    }
}
