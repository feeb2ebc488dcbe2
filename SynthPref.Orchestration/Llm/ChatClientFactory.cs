using System.ClientModel;
using System.ClientModel.Primitives;
using Azure;
using Azure.AI.OpenAI;
using Azure.Identity;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using OpenAI;

namespace SynthPref.Orchestration.Llm;

public static class ChatClientFactory
{
    // The SDK default is 3 retries with exponential back-off; two keeps a dead endpoint from stalling a run
    // while still riding out a single 429/5xx.
    private const int MaxRetries = 2;

    public static IChatClient Create(LlmOptions options, JudgePromptReader reader, ILoggerFactory? loggerFactory = null,
        string section = LlmOptions.SectionName)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(reader);

        var errors = options.Validate(section);
        if (errors.Count > 0)
            throw new InvalidOperationException("Invalid LLM configuration: " + string.Join("; ", errors));

        var builder = CreateProviderClient(options, reader)
            .AsBuilder()
            .UseConcurrencyLimit(options.MaxConcurrency);

        // Logging sits inside the limiter so logged durations are provider time, not time spent queued.
        if (loggerFactory is not null)
            builder = builder.UseLogging(loggerFactory);

        return builder.Build();
    }

    private static IChatClient CreateProviderClient(LlmOptions options, JudgePromptReader reader)
    {
        var timeout = TimeSpan.FromSeconds(options.TimeoutSeconds);
        switch (options.Provider)
        {
            case LlmProvider.AzureOpenAI:
            {
                var clientOptions = new AzureOpenAIClientOptions
                {
                    NetworkTimeout = timeout,
                    RetryPolicy = new ClientRetryPolicy(MaxRetries),
                };
                var endpoint = new Uri(options.Endpoint!);
                var client = string.IsNullOrEmpty(options.ApiKey)
                    ? new AzureOpenAIClient(endpoint, new DefaultAzureCredential(), clientOptions)
                    : new AzureOpenAIClient(endpoint, new AzureKeyCredential(options.ApiKey), clientOptions);
                return client.GetChatClient(options.Model!).AsIChatClient();
            }
            case LlmProvider.OpenAICompatible:
            {
                // Local servers (vLLM, Ollama, llama.cpp) ignore the key but the SDK insists on one.
                var client = new OpenAIClient(
                    new ApiKeyCredential(string.IsNullOrEmpty(options.ApiKey) ? "not-needed" : options.ApiKey),
                    new OpenAIClientOptions
                    {
                        Endpoint = new Uri(options.Endpoint!),
                        NetworkTimeout = timeout,
                        RetryPolicy = new ClientRetryPolicy(MaxRetries),
                    });
                return client.GetChatClient(options.Model!).AsIChatClient();
            }
            case LlmProvider.Replay:
                return new ReplayChatClient(ReplayBook.Load(options.ReplayFile!), reader);
            default:
                throw new InvalidOperationException($"Llm:Provider '{options.Provider}' is not supported");
        }
    }
}
