using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using SynthPref.Orchestration.Input;
using SynthPref.Orchestration.Judging;
using SynthPref.Orchestration.Llm;
using SynthPref.Orchestration.Pairs;
using SynthPref.Orchestration.Reporting;
using SynthPref.Orchestration.Reviews;
using SynthPref.Orchestration.Revision;
using SynthPref.Orchestration.Runs;
using SynthPref.Orchestration.Storage;

namespace SynthPref.Orchestration.Hosting;

public static class ServiceCollectionExtensions
{
    /// <summary>Everything the orchestrations, activities and API need, for either host.</summary>
    public static IServiceCollection AddSynthPrefCore(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton(_ => StorageClients.FromConfiguration(configuration));
        services.AddSingleton<ItemStore>();
        services.AddSingleton<PairStore>();
        services.AddSingleton<ReviewStore>();
        services.AddSingleton<OutputStore>();
        services.AddSingleton<RunCatalog>();
        services.AddSingleton<RunService>();
        services.AddSingleton<PairwiseJudge>();
        services.AddSingleton<ConstitutionalReviser>();
        services.AddSynthPrefLlm(configuration, JudgePrompt.TryExtract);
        return services;
    }
}
