using System.Globalization;
using System.Text.Json;
using Kodosumi.Tests.Support;

namespace Kodosumi.Tests.Integration.Faults;

/// <summary>Compares what the API says about every execution with an independent recount of the SQLite files.</summary>
public static class IndexVersusRecount
{
    /// <summary>Every disagreement, one line each; empty when the index equals the files.</summary>
    public static async Task<List<string>> Differences(HttpClient client, string executionRoot)
    {
        var expected = Recount.All(executionRoot);
        var list = await client.GetJson("/api/dashboard/running-agents?hours=999999&limit=5000");
        var rows = list.GetProperty("agents").EnumerateArray().ToDictionary(r => r.Str("fid"));
        var differences = new List<string>();
        if (list.GetProperty("total").GetInt32() != expected.Count)
            differences.Add($"total {list.GetProperty("total").GetInt32()}, files {expected.Count}");
        foreach (var e in expected)
        {
            if (!rows.TryGetValue(e.Fid, out var row))
            {
                differences.Add($"{e.Fid} missing");
                continue;
            }
            void Check<T>(string field, T actual, T wanted)
            {
                if (!EqualityComparer<T>.Default.Equals(actual, wanted)) differences.Add($"{e.Fid} {field}: {actual}, files {wanted}");
            }
            Check("status", row.Str("status"), e.Status);
            Check("event_count", row.GetProperty("event_count").GetInt64(), e.Events);
            Check("error_count", row.GetProperty("error_count").GetInt32(), e.Errors);
            Check("agent_name", row.Str("agent_name"), e.AgentName);
            Check("user_id", row.Str("user_id"), e.UserId);
            Check("upload_count", row.GetProperty("upload_count").GetInt32(), e.Uploads);
            Check("download_count", row.GetProperty("download_count").GetInt32(), e.Downloads);
            Check("end_time", row.NumOrNull("end_time"), e.Last);
            Check("quarantined", row.GetProperty("quarantined").ValueKind, JsonValueKind.Null);
        }
        var errors = await client.GetJson("/api/dashboard/errors?hours=999999&limit=1");
        var wantedErrors = expected.Sum(e => e.Errors);
        if (errors.GetProperty("total").GetInt32() != wantedErrors)
            differences.Add(string.Create(CultureInfo.InvariantCulture, $"errors total {errors.GetProperty("total").GetInt32()}, files {wantedErrors}"));
        return differences;
    }

    /// <summary>Waits until the index equals the files, then asserts it (listing what still differs).</summary>
    public static async Task AssertEventually(HttpClient client, string executionRoot, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        List<string> differences;
        while ((differences = await Differences(client, executionRoot)).Count > 0 && DateTime.UtcNow < deadline)
            await Task.Delay(250);
        Assert.That(differences, Is.Empty, "the index equals an independent recount of the files");
    }
}
