using Microsoft.DurableTask.Worker;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using SynthPref.Orchestration.Api;
using SynthPref.Orchestration.Batch;
using SynthPref.Orchestration.Generation;
using SynthPref.Orchestration.Health;
using SynthPref.Orchestration.Input;
using SynthPref.Orchestration.Judging;
using SynthPref.Orchestration.Llm;
using SynthPref.Orchestration.Pairs;
using SynthPref.Orchestration.Reporting;
using SynthPref.Orchestration.Reviews;
using SynthPref.Orchestration.Revision;
using SynthPref.Orchestration.Runs;
using SynthPref.Orchestration.Storage;
using SynthPref.Orchestration.Workflow;

namespace SynthPref.Orchestration.Hosting;

public static class ServiceCollectionExtensions
{
    /// <summary>Everything the orchestrations, activities and API need, for either host.</summary>
    public static IServiceCollection AddSynthPrefCore(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton(_ => StorageClients.FromConfiguration(configuration));
        services.AddSingleton<TableDistributedCache>();
        services.AddOptions<InputOptions>().Bind(configuration.GetSection(InputOptions.SectionName));
        services.AddOptions<JudgingOptions>().Bind(configuration.GetSection(JudgingOptions.SectionName));
        services.AddOptions<ApiOptions>().Bind(configuration.GetSection(ApiOptions.SectionName));
        services.AddOptions<ReviewRateLimitOptions>().Bind(configuration.GetSection(ReviewRateLimitOptions.SectionName));
        services.AddSingleton<ReviewRateLimiter>();

        // Stages, in the order data flows through them.
        services.AddSingleton<InputStore>();
        services.AddSingleton<InputLoader>();
        services.AddSingleton<LoadProgressStore>();
        services.AddSingleton<ResponseGenerator>();
        services.AddSingleton(sp => PromptBoundaryKey.InStorage(sp.GetRequiredService<StorageClients>()));
        services.AddSingleton<JudgePanel>();
        services.AddSingleton(sp => new ConstitutionalReviser(sp.GetRequiredService<LlmClients>().ForRole(ConstitutionalReviser.Role)));
        services.AddSingleton<ConstitutionStore>();
        services.AddSingleton<PairStore>();
        services.AddSingleton<FailureStore>();
        services.AddSingleton<ItemProcessor>();
        services.AddSingleton<BatchStore>();
        services.AddSingleton<BatchApis>();
        services.AddSingleton<BatchPlanner>();
        services.AddSingleton<BatchSubmitter>();
        services.AddSingleton<BatchMonitor>();
        services.AddSingleton<BatchIngester>();
        services.AddSingleton<ReviewStage>();
        services.AddSingleton<OutputStore>();
        services.AddSingleton<ReportBuilder>();

        // The use cases the API serves.
        services.AddSingleton<RunCatalog>();
        services.AddSingleton<RunStarter>();
        services.AddSingleton<RunQueries>();
        services.AddSingleton<IReviewRuns>(sp => sp.GetRequiredService<RunQueries>());
        services.AddSingleton<ReviewService>();
        services.AddSynthPrefLlm(configuration, JudgePrompt.TryExtract, JudgePrompt.WrapAnswer);
        services.AddSynthPrefHealthChecks();
        // Both hosts' durable workers (the local gRPC worker, the Functions worker's executor) take it from here.
        services.AddSingleton<IExceptionPropertiesProvider, FailureProperties>();
        return services;
    }
}
