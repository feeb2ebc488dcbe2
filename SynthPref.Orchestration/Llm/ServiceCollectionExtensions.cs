using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace SynthPref.Orchestration.Llm;

public static class ServiceCollectionExtensions
{
    /// <summary>Binds the "Llm" section and registers one shared <see cref="IChatClient"/>, so the concurrency cap is process-wide.</summary>
    public static IServiceCollection AddSynthPrefLlm(this IServiceCollection services, IConfiguration configuration, JudgePromptReader reader)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(reader);

        services.AddOptions<LlmOptions>().Bind(configuration.GetSection(LlmOptions.SectionName));
        services.AddSingleton<IChatClient>(sp => ChatClientFactory.Create(
            sp.GetRequiredService<IOptions<LlmOptions>>().Value,
            reader,
            sp.GetService<ILoggerFactory>()));
        return services;
    }
}
