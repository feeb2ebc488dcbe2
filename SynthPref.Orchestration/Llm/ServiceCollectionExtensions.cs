using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace SynthPref.Orchestration.Llm;

public static class ServiceCollectionExtensions
{
    /// <summary>
    /// Binds the "Llm" section and registers one shared <see cref="IChatClient"/> for it, so the concurrency cap is
    /// process-wide whichever role calls it, with the response cache in the run's storage account when one is
    /// registered (<see cref="TableDistributedCache"/>). Other sections (judges, reviser, policy) get their own
    /// clients through <see cref="LlmClients"/>.
    /// </summary>
    /// <param name="writer">How the replay provider shapes a recorded verdict into the answer a judge prompt asks for.</param>
    public static IServiceCollection AddSynthPrefLlm(this IServiceCollection services, IConfiguration configuration, JudgePromptReader reader,
        JudgeAnswerWriter? writer = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(reader);

        services.AddOptions<LlmOptions>().Bind(configuration.GetSection(LlmOptions.SectionName));
        services.AddSingleton<IChatClient>(sp => ChatClientFactory.Create(
            sp.GetRequiredService<IOptions<LlmOptions>>().Value,
            reader,
            sp.GetService<TableDistributedCache>(),
            sp.GetService<ILoggerFactory>(),
            writer: writer));
        services.AddSingleton(_ => new LlmSections(configuration));
        services.AddSingleton(_ => new LlmPricing(configuration));
        services.AddSingleton(sp => new LlmClients(sp.GetRequiredService<LlmSections>(), sp.GetRequiredService<IChatClient>, reader, writer,
            sp.GetService<TableDistributedCache>(), sp.GetService<ILoggerFactory>()));

        // A separate policy model keeps the judge from grading its own writing; without one, the judge's client writes.
        services.AddSingleton(sp =>
        {
            var clients = sp.GetRequiredService<LlmClients>();
            return new PolicyModel(clients.ForRole(PolicyModel.Role), clients.Sections.ModelOf(PolicyModel.Role));
        });
        return services;
    }
}
