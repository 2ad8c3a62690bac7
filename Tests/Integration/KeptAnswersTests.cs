using Kodosumi.Api.Caching;
using Kodosumi.Api.Hosting;
using Kodosumi.Shared.Demo;
using Kodosumi.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Kodosumi.Tests.Integration;

/// <summary>The answers kept for reuse under their ETags stay within Dashboard:KeptAnswersBytes, however many queries differ.</summary>
[Category("Integration")]
public class KeptAnswersTests : InProcessHostTest
{
    const long Limit = 200_000;

    [OneTimeSetUp]
    public async Task Start()
    {
        CreateDataDir("kodo-kept", new DemoOptions { Executions = 40, Seed = 5 });
        await StartHostAsync(rescan: TimeSpan.FromMinutes(10), settings: new Dictionary<string, string?>
        {
            ["Dashboard:WindowSlot"] = "01:00:00",
            ["Dashboard:KeptAnswersBytes"] = Limit.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
    }

    [Test]
    public async Task Many_distinct_queries_keep_no_more_than_the_limit()
    {
        var kept = Host.Services.GetRequiredService<KeptAnswers>();
        long written = 0;
        // Any query string is a key of its own: a parameter the endpoint ignores is enough. Each is asked for
        // twice, as polling dashboards ask: an answer is kept the second time.
        for (var i = 0; i < 200; i++)
        for (var twice = 0; twice < 2; twice++)
            written += (await Client.GetByteArrayAsync($"/api/dashboard/running-agents?hours=999999&limit=10&n={i}")).Length;
        Assert.That(written, Is.GreaterThan(4 * Limit), "the answers together are far larger than the limit");
        Assert.That(kept.Bytes, Is.InRange(1, Limit));

        // Answers are still kept, from the second time they are asked for.
        var first = await Client.GetStringAsync("/api/dashboard/running-agents?hours=999999&limit=10&n=again");
        Assert.That(await Client.GetStringAsync("/api/dashboard/running-agents?hours=999999&limit=10&n=again"), Is.EqualTo(first));
        Assert.That(kept.Bytes, Is.GreaterThanOrEqualTo(System.Text.Encoding.UTF8.GetByteCount(first)), "a small answer is kept");
        Assert.That(await Client.GetStringAsync("/api/dashboard/running-agents?hours=999999&limit=10&n=again"), Is.EqualTo(first));
    }

    [Test]
    public async Task An_answer_asked_for_once_is_not_kept()
    {
        var kept = Host.Services.GetRequiredService<KeptAnswers>();
        var before = kept.Bytes;
        for (var i = 0; i < 20; i++) await Client.GetByteArrayAsync($"/api/dashboard/running-agents?hours=999999&limit=10&once={i}");
        Assert.That(kept.Bytes, Is.EqualTo(before), "one-off queries hold nothing");
    }
}
