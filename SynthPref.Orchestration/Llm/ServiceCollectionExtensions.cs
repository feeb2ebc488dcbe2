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

        // A separate policy model keeps the judge from grading its own writing; without one, the judge's client writes.
        var policy = configuration.GetSection(PolicyModel.SectionName);
        services.AddSingleton(sp =>
        {
            if (!policy.Exists())
            {
                var judge = sp.GetRequiredService<IOptions<LlmOptions>>().Value;
                return new PolicyModel(sp.GetRequiredService<IChatClient>(), judge.JudgeModelName());
            }
            var options = policy.Get<LlmOptions>() ?? new LlmOptions();
            return new PolicyModel(
                ChatClientFactory.Create(options, reader, sp.GetService<ILoggerFactory>(), PolicyModel.SectionName),
                options.JudgeModelName());
        });
        return services;
    }
}
