using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SynthPref.Orchestration.Storage;

namespace SynthPref.Orchestration.Llm;

public static class ServiceCollectionExtensions
{
    /// <summary>
    /// Binds the "Llm" section and registers one shared <see cref="IChatClient"/> for it, so the concurrency cap is
    /// process-wide whichever role calls it, with the response cache in the run's storage account when one is
    /// registered (<see cref="TableDistributedCache"/>).
    /// </summary>
    public static IServiceCollection AddSynthPrefLlm(this IServiceCollection services, IConfiguration configuration, JudgePromptReader reader)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(reader);

        services.AddOptions<LlmOptions>().Bind(configuration.GetSection(LlmOptions.SectionName));
        services.AddSingleton<IChatClient>(sp => ChatClientFactory.Create(
            sp.GetRequiredService<IOptions<LlmOptions>>().Value,
            reader,
            sp.GetService<TableDistributedCache>(),
            sp.GetService<ILoggerFactory>()));

        // A separate policy model keeps the judge from grading its own writing; without one, the judge's client writes.
        var policy = configuration.GetSection(PolicyModel.SectionName);
        services.AddSingleton(sp =>
        {
            if (!policy.Exists())
            {
                var judge = sp.GetRequiredService<IOptions<LlmOptions>>().Value;
                return new PolicyModel(sp.GetRequiredService<IChatClient>().ForRole(PolicyModel.Role), judge.JudgeModelName());
            }
            var options = policy.Get<LlmOptions>() ?? new LlmOptions();
            var client = ChatClientFactory.Create(options, reader, sp.GetService<TableDistributedCache>(),
                sp.GetService<ILoggerFactory>(), PolicyModel.SectionName);
            return new PolicyModel(client.ForRole(PolicyModel.Role), options.JudgeModelName());
        });
        return services;
    }
}
