using System.Net;
using System.Text.Json;
using Kodosumi.TestSupport;
using Kodosumi.Tests.Support;
using LiteDB;
using Microsoft.Data.Sqlite;

namespace Kodosumi.Tests.Resilience;

/// <summary>
/// The service as its own process (the build of Api beside the tests), and the checks every resilience test
/// ends with: the index equals an independent recount of the execution databases.
/// </summary>
public static class ServiceUnderTest
{
    public static string ApiDll => Path.Combine(TestContext.CurrentContext.TestDirectory, "Kodosumi.Api.dll");

    public static ServiceProcess Start(string dataDir, string indexPath, TimeSpan? rescan = null, IReadOnlyDictionary<string, string>? settings = null) =>
        ServiceProcess.Start(ApiDll, dataDir, indexPath, rescan ?? TimeSpan.FromSeconds(1), settings);

    /// <summary>Ready, and signed in as the demo operator (who sees every execution).</summary>
    public static async Task<ServiceProcess> StartReadyAsync(string dataDir, string indexPath, TimeSpan? rescan = null,
        IReadOnlyDictionary<string, string>? settings = null)
    {
        var service = Start(dataDir, indexPath, rescan, settings);
        try
        {
            await service.WaitReadyAsync(TimeSpan.FromSeconds(90));
            await service.SignInAsync("admin", "admin");
            return service;
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException)
        {
            var output = string.Join('\n', service.Output.TakeLast(40));
            service.Dispose();
            throw new AssertionException($"{e.Message}; the service wrote:\n{output}");
        }
    }

    public static async Task<JsonElement> Health(ServiceProcess service)
    {
        using var response = await service.Client.GetAsync("/health/ready");
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
    }

    public static JsonElement HealthData(JsonElement health) => health.GetProperty("checks").GetProperty("index").GetProperty("data");

    /// <summary>Every execution the API lists has the recount's status, counts and errors, and no other execution is listed.</summary>
    public static async Task AssertIndexEqualsRecount(HttpClient client, string executionRoot)
    {
        var expected = Recount.All(executionRoot).ToDictionary(e => e.Fid);
        // Every page, by cursor: a data set can be larger than one page.
        var rows = new Dictionary<string, JsonElement>();
        for (string? cursor = null; ;)
        {
            var json = await client.GetJson("/api/dashboard/running-agents?hours=999999&limit=5000"
                + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor)));
            foreach (var row in json.GetProperty("agents").EnumerateArray()) rows.Add(row.Str("fid"), row);
            if (json.GetProperty("next_cursor").ValueKind == JsonValueKind.Null) break;
            cursor = json.GetProperty("next_cursor").GetString();
        }
        Assert.That(rows.Keys, Is.EquivalentTo(expected.Keys), "the executions listed are the folders present");
        Assert.Multiple(() =>
        {
            foreach (var (fid, row) in rows)
            {
                var e = expected[fid];
                Assert.That(row.Str("status"), Is.EqualTo(e.Status), $"{fid} status");
                Assert.That(row.Str("agent_name"), Is.EqualTo(e.AgentName), $"{fid} agent");
                Assert.That(row.GetProperty("event_count").GetInt64(), Is.EqualTo(e.Events), $"{fid} events");
                Assert.That(row.GetProperty("error_count").GetInt32(), Is.EqualTo(e.Errors), $"{fid} errors");
                Assert.That(row.GetProperty("error").ValueKind == JsonValueKind.Null ? null : row.Str("error"), Is.EqualTo(e.LatestError), $"{fid} latest error");
                Assert.That(row.NumOrNull("end_time"), Is.EqualTo(e.Last).Within(1e-6), $"{fid} end time");
                Assert.That(row.GetProperty("upload_count").GetInt32(), Is.EqualTo(e.Uploads), $"{fid} uploads");
                Assert.That(row.GetProperty("download_count").GetInt32(), Is.EqualTo(e.Downloads), $"{fid} downloads");
                Assert.That(row.GetProperty("problem").ValueKind, Is.EqualTo(JsonValueKind.Null), $"{fid} problem");
            }
        });
        var errors = await client.GetJson("/api/dashboard/errors?hours=999999&limit=5000");
        Assert.That(errors.GetProperty("total").GetInt32(), Is.EqualTo(expected.Values.Sum(e => e.Errors)), "error events, none twice");
        var listed = errors.GetProperty("errors").EnumerateArray().Select(e => (e.Str("fid"), e.GetProperty("event_id").GetInt64())).ToList();
        Assert.That(listed, Is.Unique, "no error event listed twice");
        // The list is capped at 5,000; below that it must be exactly the recount's events.
        if (listed.Count < 5000)
            Assert.That(listed, Is.EquivalentTo(expected.Values.SelectMany(e => e.ErrorEvents.Select(x => (e.Fid, x.Id)))));
    }

    /// <summary>
    /// Opens a copy of the index as the next start would find it (the service is not running) and checks that
    /// each stored summary says what its database holds up to its own cursor: written together, they agree
    /// whenever the process died. Error events must belong to a stored summary and match its error count.
    /// </summary>
    public static void AssertStoredIndexIsConsistent(string indexPath, string executionRoot, Random random, int sample)
    {
        var copyDir = TempDirs.Create("kodo-index-copy");
        try
        {
            foreach (var file in Directory.GetFiles(Path.GetDirectoryName(indexPath)!, Path.GetFileNameWithoutExtension(indexPath) + "*"))
                File.Copy(file, Path.Combine(copyDir, Path.GetFileName(file)));
            using var db = new LiteDatabase(new ConnectionString { Filename = Path.Combine(copyDir, Path.GetFileName(indexPath)), Connection = ConnectionType.Direct });
            var summaries = db.GetCollection("executions").FindAll().ToList();
            var errorsByFid = db.GetCollection("errors").FindAll().GroupBy(e => e["Fid"].AsString).ToDictionary(g => g.Key, g => g.Select(e => e["EventId"].AsInt64).ToList());
            var fids = summaries.Select(s => s["_id"].AsString).ToHashSet();
            Assert.That(errorsByFid.Keys.Where(fid => !fids.Contains(fid)), Is.Empty, "error events without their summary");
            foreach (var s in summaries.Where(s => s["LastFoldedId"].AsInt64 > 0).OrderBy(_ => random.Next()).Take(sample))
            {
                var fid = s["_id"].AsString;
                var cursor = s["LastFoldedId"].AsInt64;
                var stored = errorsByFid.GetValueOrDefault(fid) ?? [];
                var (events, errorIds) = UpTo(Path.Combine(executionRoot, s["UserId"].AsString, fid, "sqlite3.db"), cursor);
                if (events is null) continue; // deleted since
                Assert.That(s["EventCount"].AsInt64, Is.EqualTo(events), $"{fid}: events up to its cursor {cursor}");
                Assert.That(s["ErrorCount"].AsInt32, Is.EqualTo(errorIds.Count), $"{fid}: errors up to its cursor {cursor}");
                Assert.That(stored, Is.EquivalentTo(errorIds), $"{fid}: stored error events up to its cursor {cursor}");
            }
        }
        finally
        {
            TempDirs.Delete(copyDir);
        }
    }

    static (long? Events, List<long> ErrorIds) UpTo(string database, long cursor)
    {
        if (!File.Exists(database)) return (null, []);
        // Read a copy: even a read-only connection checkpoints a WAL left behind when it closes, which
        // changes the files and would make the service fold them again.
        var copyDir = TempDirs.Create("kodo-db-copy");
        using var deleteCopy = new Deferred(() => TempDirs.Delete(copyDir));
        var copy = Path.Combine(copyDir, "sqlite3.db");
        File.Copy(database, copy);
        if (File.Exists(database + "-wal")) File.Copy(database + "-wal", copy + "-wal");
        using var db = new SqliteConnection($"Data Source={copy};Mode=ReadOnly;Pooling=False");
        db.Open();
        using var count = db.CreateCommand();
        count.CommandText = "SELECT count(*) FROM monitor WHERE id <= $c";
        count.Parameters.AddWithValue("$c", cursor);
        var events = (long)count.ExecuteScalar()!;
        using var errors = db.CreateCommand();
        errors.CommandText = "SELECT id FROM monitor WHERE id <= $c AND kind = 'error'";
        errors.Parameters.AddWithValue("$c", cursor);
        var ids = new List<long>();
        using var reader = errors.ExecuteReader();
        while (reader.Read()) ids.Add(reader.GetInt64(0));
        return (events, ids);
    }

    public static bool IsServiceUnavailable(HttpResponseMessage response) => response.StatusCode == HttpStatusCode.ServiceUnavailable;

    sealed class Deferred(Action action) : IDisposable
    {
        public void Dispose() => action();
    }
}
