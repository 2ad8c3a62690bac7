using Kodosumi.Api.Hosting;
using Kodosumi.Indexer;

if (DemoData.TryRunGenerateCommand(args)) return;
if (HealthProbeCommand.TryRun(args)) return;

var demo = args.Contains(DemoData.DemoSwitch);
var builder = WebApplication.CreateBuilder(args.Where(a => a != DemoData.DemoSwitch).ToArray());
DemoData.PrepareIfRequested(builder, demo);
builder.Services.AddKodosumiIndexer();
builder.AddKodosumiApi();

var app = builder.Build();
app.UseKodosumiApi();
app.Run();

/// <summary>Visible to the tests' WebApplicationFactory.</summary>
public partial class Program;
