using System.Net;
using System.Net.Http.Headers;
using Kodosumi.Shared.Demo;
using Kodosumi.Tests.Support;

namespace Kodosumi.Tests.Integration;

public class ConditionalGetTests
{
    [Test]
    public async Task An_unchanged_answer_is_304_until_a_write_changes_it()
    {
        var dataDir = TempDirs.Create("kodo-etag");
        try
        {
            new DemoDataGenerator(new DemoOptions { Executions = 15, Seed = 12 }).Generate(dataDir);
            using var host = new IndexerHost(dataDir, rescan: TimeSpan.FromMinutes(10));
            using var client = await host.StartAsync();
            const string url = "/api/dashboard/agent-stats";

            var first = await client.GetAsync(url);
            var etag = first.Headers.ETag;
            Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(etag, Is.Not.Null);

            async Task<HttpResponseMessage> Conditional()
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, url);
                request.Headers.IfNoneMatch.Add(etag!);
                return await client.SendAsync(request);
            }
            var again = await Conditional();
            Assert.That(again.StatusCode, Is.EqualTo(HttpStatusCode.NotModified));
            Assert.That(await again.Content.ReadAsByteArrayAsync(), Is.Empty);

            var e = Recount.All(host.ExecutionRoot).First(x => x.Status == "finished");
            using (var writer = SqliteCliWriter.Open(Path.Combine(host.ExecutionRoot, e.UserId, e.Fid, "sqlite3.db")))
                writer.Append("status", "error", e.Last + 1);
            await Wait.Until(async () => (await Conditional()).StatusCode == HttpStatusCode.OK, TimeSpan.FromSeconds(10), "the write changes the answer");
            var changed = await client.GetAsync(url);
            Assert.That(changed.Headers.ETag, Is.Not.EqualTo(etag));
        }
        finally
        {
            TempDirs.Delete(dataDir);
        }
    }
}
