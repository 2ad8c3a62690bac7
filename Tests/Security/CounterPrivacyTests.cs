using System.Net;
using System.Net.Http.Headers;
using Kodosumi.Tests.Support;
using static Kodosumi.Tests.Security.SecurityService;

namespace Kodosumi.Tests.Security;

/// <summary>
/// Issue 21, point 8: a user who sees only their own executions learns nothing of other users' activity from ETags,
/// stream ids or resets.
/// </summary>
[Category("Integration")]
public class CounterPrivacyTests
{
    const string Stats = "/api/dashboard/agent-stats";

    static async Task<EntityTagHeaderValue> ETag(HttpClient client)
    {
        using var response = await client.GetAsync(Stats);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        return response.Headers.ETag!;
    }

    /// <summary>Changes <paramref name="execution"/> and waits until an operator's answer shows the change.</summary>
    static async Task ChangeAndWait(Expected execution, HttpClient operatorClient)
    {
        var before = await ETag(operatorClient);
        Touch(execution);
        await Wait.Until(async () => !Equals(await ETag(operatorClient), before), TimeSpan.FromSeconds(20), "the index takes in the change");
    }

    [Test]
    public async Task A_non_operators_etag_neither_counts_nor_follows_other_users_changes()
    {
        using var admin = WithToken(await SignIn(Admin));
        using var alice = WithToken(await SignIn(Alice));
        var hers = await ETag(alice);
        Assert.That(hers.Tag, Does.Not.Match("\\d{1,}-"), "no counter in the tag");

        await ChangeAndWait(ExecutionOf(Bob), admin);
        Assert.That(await ETag(alice), Is.EqualTo(hers), "bob's change does not move alice's tag");

        await ChangeAndWait(ExecutionOf(Alice), admin);
        Assert.That(await ETag(alice), Is.Not.EqualTo(hers), "her own change does");
    }

    /// <summary>The id of the first <c>reset</c> event of a stream opened with <paramref name="lastEventId"/>.</summary>
    static async Task<string> ResetId(HttpClient client, string lastEventId)
    {
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/dashboard/stream");
        request.Headers.Add("Last-Event-ID", lastEventId);
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, patience.Token);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(patience.Token));
        string? id = null;
        while (await reader.ReadLineAsync(patience.Token) is { } line)
        {
            if (line.StartsWith("id: ", StringComparison.Ordinal)) id = line[4..];
            else if (line == "event: reset") return id ?? "";
            else if (line.Length == 0) id = null;
        }
        Assert.Fail("the stream ended without a reset");
        return "";
    }

    [Test]
    public async Task A_non_operators_stream_ids_and_resets_do_not_count_other_users_events()
    {
        using var admin = WithToken(await SignIn(Admin));
        using var alice = WithToken(await SignIn(Alice));
        // An id of no run of this service: the stream answers with a reset naming where it stands.
        const string bogus = "00000000-1";
        var first = await ResetId(alice, bogus);
        Assert.That(first, Does.Not.Match("-\\d+$"), "no sequence number in the id");

        await ChangeAndWait(ExecutionOf(Bob), admin);
        await ChangeAndWait(ExecutionOf(Bob, skip: 1), admin);
        Assert.That(await ResetId(alice, bogus), Is.EqualTo(first), "bob's events do not move alice's position");

        // Her position resumes without a reset although others' events came after it.
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/dashboard/stream");
        request.Headers.Add("Last-Event-ID", first);
        using var response = await alice.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, patience.Token);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(patience.Token));
        var lines = new List<string>();
        // A reset would follow the opening heartbeat at once; a while of nothing after it means none is coming.
        while (await reader.ReadLineAsync(patience.Token) is { } line && !line.StartsWith("event: heartbeat", StringComparison.Ordinal)) lines.Add(line);
        using var quiet = CancellationTokenSource.CreateLinkedTokenSource(patience.Token);
        quiet.CancelAfter(TimeSpan.FromSeconds(2));
        try
        {
            while (await reader.ReadLineAsync(quiet.Token) is { } line) lines.Add(line);
        }
        catch (OperationCanceledException) when (!patience.IsCancellationRequested)
        {
            // quiet, as it should be
        }
        Assert.That(lines, Has.None.EqualTo("event: reset"));
    }
}
