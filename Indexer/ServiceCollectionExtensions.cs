using Kodosumi.Indexer.Alerts;
using Kodosumi.Indexer.Platform;
using Kodosumi.Indexer.Store;
using Kodosumi.Indexer.Users;
using Kodosumi.Indexer.Worker;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Kodosumi.Indexer;

public static class ServiceCollectionExtensions
{
    /// <summary>The indexer: settings, the single LiteDB index, the read model and the hosted worker.</summary>
    public static IServiceCollection AddKodosumiIndexer(this IServiceCollection services)
    {
        services.AddOptions<IndexerOptions>()
            .BindConfiguration(IndexerOptions.Section)
            .PostConfigure<IConfiguration>((options, config) =>
            {
                // Kodosumi's own variables apply unless the Indexer section says otherwise.
                if (string.IsNullOrEmpty(options.ExecDir)) options.ExecDir = config["KODO_EXEC_DIR"];
                if (string.IsNullOrEmpty(options.AdminDatabase)) options.AdminDatabase = config["KODO_ADMIN_DATABASE"];
            })
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<IndexStore>();
        services.AddSingleton<ITokenRevocations>(sp => sp.GetRequiredService<IndexStore>());
        services.AddOptions<StreamOptions>().BindConfiguration(StreamOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(sp => new IndexEvents(sp.GetRequiredService<IOptions<StreamOptions>>().Value.BufferSize));
        services.AddSingleton<ExecutionCatalog>();
        services.AddSingleton<IIndexReader, IndexReader>();
        services.AddSingleton<ExecutionRefresher>();
        services.AddSingleton<UserDirectory>();
        services.AddSingleton<IndexerStatus>();
        services.TryAddSingleton<WatcherFactory>();
        services.AddSingleton<HintQueue>();
        services.AddSingleton<FolderWatcher>();
        services.AddSingleton<HeapCompactor>();
        services.AddSingleton<IndexWriter>();
        services.AddSingleton<FoldPass>();
        services.AddSingleton<RescanTiers>();
        services.AddSingleton<StoredStampCheck>();
        services.AddSingleton<TreeScan>();
        services.AddSingleton<UnwatchedLook>();
        services.AddOptions<AlertOptions>().BindConfiguration(AlertOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<AlertPlanner>();
        services.AddSingleton<AlertCounters>();
        services.AddSingleton<AlertOutbox>();
        services.AddSingleton<IStallAlerts>(sp => sp.GetRequiredService<AlertOutbox>());
        services.AddHostedService<IndexerWorker>();
        services.AddHostedService<AlertSender>();
        // The worker stops between two committed batches; docker stop allows 10 s before SIGKILL.
        services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(8));
        return services;
    }
}
