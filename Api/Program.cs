using Kodosumi.Api.Hosting;
using Kodosumi.Indexer;

if (BuildVersion.TryRunCommand(args)) return;
if (DemoData.TryRunGenerateCommand(args)) return;
if (HealthProbeCommand.TryRun(args)) return;

var demo = args.Contains(DemoData.DemoSwitch);
// No reloading of appsettings: its watcher would watch the content root recursively, and a data
// directory below it (the demo's Api/data) would use up the inotify watches the indexer needs.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions
{
    Args = ["--hostBuilder:reloadConfigOnChange=false", .. args.Where(a => a != DemoData.DemoSwitch)],
    ContentRootPath = ContentRoot.Default(args),
});
// A build (not a publish) has no wwwroot of its own: `dotnet run` serves the project's, in every environment.
builder.WebHost.UseStaticWebAssets();
DemoData.PrepareIfRequested(builder, demo);
builder.Services.AddKodosumiIndexer();
builder.AddKodosumiApi();

var app = builder.Build();
app.UseKodosumiApi();
app.Run();

/// <summary>Visible to the tests' WebApplicationFactory.</summary>
public partial class Program;
