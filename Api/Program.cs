using Kodosumi.Api.Hosting;
using Kodosumi.Indexer;

if (DemoData.TryRunGenerateCommand(args)) return;
if (HealthProbeCommand.TryRun(args)) return;

var demo = args.Contains(DemoData.DemoSwitch);
// No reloading of appsettings: its watcher would watch the content root recursively, and a data
// directory below it (the demo's Api/data) would use up the inotify watches the indexer needs.
var builder = WebApplication.CreateBuilder(["--hostBuilder:reloadConfigOnChange=false", .. args.Where(a => a != DemoData.DemoSwitch)]);
DemoData.PrepareIfRequested(builder, demo);
builder.Services.AddKodosumiIndexer();
builder.AddKodosumiApi();

var app = builder.Build();
app.UseKodosumiApi();
app.Run();

/// <summary>Visible to the tests' WebApplicationFactory.</summary>
public partial class Program;
