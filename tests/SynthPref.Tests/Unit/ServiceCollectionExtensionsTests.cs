using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SynthPref.Orchestration.Judging;
using SynthPref.Orchestration.Llm;
using SynthPref.Tests.Infrastructure;

namespace SynthPref.Tests.Unit;

public sealed class ServiceCollectionExtensionsTests
{
    [Fact]
    public async Task Binds_the_llm_section_and_registers_one_shared_client()
    {
        var path = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(path, "{\"query\": \"q\", \"response_1\": \"short\", \"response_2\": \"much longer\", \"verdict\": \"2\", \"reason\": \"r\"}\n");
            var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Llm:Provider"] = "Replay",
                ["Llm:ReplayFile"] = path,
                ["Llm:MaxConcurrency"] = "5",
                ["Llm:Model"] = "judge-model",
            }).Build();

            await using var provider = new ServiceCollection()
                .AddLogging()
                .AddSynthPrefLlm(configuration, JudgePrompt.TryExtract)
                .BuildServiceProvider();

            var options = provider.GetRequiredService<IOptions<LlmOptions>>().Value;
            Assert.Equal(LlmProvider.Replay, options.Provider);
            Assert.Equal("judge-model", options.Model);
            Assert.Equal(5, options.MaxConcurrency);

            var client = provider.GetRequiredService<IChatClient>();
            Assert.Same(client, provider.GetRequiredService<IChatClient>());
            Assert.Equal(5, client.GetService<ConcurrencyLimitingChatClient>()?.MaxConcurrency);
            Assert.NotNull(client.GetService<LoggingChatClient>());

            var response = await client.GetResponseAsync([new ChatMessage(ChatRole.User, JudgeText.Of("q", "much longer", "short"))]);
            Assert.Equal("PREFERENCE: A\nREASONING: r", response.Text);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Invalid_configuration_fails_when_the_client_is_first_resolved()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Llm:Provider"] = "OpenAICompatible",
        }).Build();

        using var provider = new ServiceCollection().AddSynthPrefLlm(configuration, JudgePrompt.TryExtract).BuildServiceProvider();
        var ex = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<IChatClient>());
        Assert.Contains("Llm:Endpoint is required when Llm:Provider is OpenAICompatible", ex.Message);
    }
}
