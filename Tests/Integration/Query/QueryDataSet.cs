using Kodosumi.Shared;
using Kodosumi.Shared.Demo;
using Kodosumi.TestSupport;
using Kodosumi.Tests.Support;

namespace Kodosumi.Tests.Integration.Query;

/// <summary>
/// One host over a generated data set for the query features (sort, percentiles, tags, export), plus one
/// execution, written by a separate sqlite3 process, whose texts start like spreadsheet formulas.
/// More executions than a default page (500), so an export shows it has no page limit.
/// </summary>
[SetUpFixture]
public class QueryDataSet
{
    public const string Dashboard = "/api/dashboard";
    public const int Executions = 560;
    static HostedDataSet _data = null!;
    public static IndexerHost Host => _data.Host;
    public static HttpClient Operator => _data.Client;
    public static List<Expected> Recounted { get; private set; } = [];
    public static Dictionary<string, List<string>> TagsByFid { get; private set; } = [];
    public static string FormulaFid { get; private set; } = "";

    [OneTimeSetUp]
    public async Task Start()
    {
        _data = HostedDataSet.Create("kodo-query", new DemoOptions { Executions = Executions, Seed = 808, LargeResultEvery = 0 });
        var root = _data.ExecutionRoot;
        FormulaFid = WriteFormulaExecution(root);
        Recounted = Recount.All(root);
        TagsByFid = Recounted.ToDictionary(e => e.Fid, e => RecountTags.Of(root, e));
        await _data.StartAsync();
    }

    [OneTimeTearDown]
    public void Stop() => _data.Dispose();

    static string WriteFormulaExecution(string root)
    {
        var created = DateTimeOffset.UtcNow.AddHours(-2);
        var fid = Fids.New(created, new Random(5));
        var t = created.ToUnixTimeMilliseconds() / 1000.0;
        using var writer = SqliteCliWriter.Open(Path.Combine(root, DemoDataGenerator.Users[2].FolderName, fid, "sqlite3.db"));
        writer.Append("status", "starting", t);
        writer.Append("meta", """{"dict": {"summary": "=HYPERLINK(\"http://evil.example\",\"x\")", "tags": ["+cmd", "@sum", "Research"]}}""", t + 1);
        writer.Append("error", "-1+2 broke", t + 2);
        writer.Append("status", "error", t + 3);
        writer.Close();
        return fid;
    }

    public static string UserName(string userId) => DemoDataGenerator.Users.Single(u => u.FolderName == userId).Name;
}
