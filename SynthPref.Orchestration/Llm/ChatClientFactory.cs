using System.ClientModel;
using System.Security.Cryptography;
using Azure;
using Azure.AI.OpenAI;
using Azure.Identity;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Logging;
using OpenAI;

namespace SynthPref.Orchestration.Llm;

public static class ChatClientFactory
{
    static readonly TimeSpan RetryBaseDelay = TimeSpan.FromSeconds(1);
    static readonly TimeSpan RetryMaxDelay = TimeSpan.FromSeconds(16);

    /// <summary>
    /// The provider client wrapped in SynthPref's middleware, outermost first: coalescing of concurrent identical
    /// requests, the response cache (a hit takes no concurrency slot), the concurrency limit, the per-call budget, logging, OpenTelemetry (token and latency
    /// metrics and a span per call, under <see cref="LlmTelemetry.SourceName"/>), and the count of calls that really
    /// reached the provider with their tokens. Callers name their role with <see cref="RoleChatClientExtensions.ForRole"/>.
    /// </summary>
    /// <param name="cache">Where paid-for responses are kept; null for none.</param>
    /// <param name="writer">For the replay provider: how a recorded verdict is shaped into the answer a judge prompt asks for.</param>
    public static IChatClient Create(LlmOptions options, JudgePromptReader reader, IDistributedCache? cache = null,
        ILoggerFactory? loggerFactory = null, string section = LlmOptions.SectionName, JudgeAnswerWriter? writer = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(reader);

        var errors = options.Validate(section);
        if (errors.Count > 0)
            throw new InvalidOperationException("Invalid LLM configuration: " + string.Join("; ", errors));

        var builder = CreateProviderClient(options, reader, writer, out var identity).AsBuilder()
            .Use(inner => new CoalescingChatClient(inner));
        if (cache is not null)
            builder = builder.Use(inner => new StoredResponseCache(inner, cache, identity));
        builder = builder
            .UseConcurrencyLimit(options.MaxConcurrency)
            .Use(inner => new CallBudgetChatClient(inner, TimeSpan.FromSeconds(options.CallBudgetSeconds)));
        // Logging sits inside the limiter so logged durations are provider time, not time spent queued.
        if (loggerFactory is not null)
            builder = builder.UseLogging(loggerFactory);
        // Inside the cache, so what reaches App Insights is what the provider was really asked and billed for.
        builder = builder.UseOpenTelemetry(loggerFactory, LlmTelemetry.SourceName);
        return builder
            .Use(inner => new ProviderCallCountingChatClient(inner))
            .Build();
    }

    /// <param name="identity">What besides the request decides the answer: the provider, where it is and which model.
    /// It is part of every cache key, so two models never share an answer.</param>
    private static IChatClient CreateProviderClient(LlmOptions options, JudgePromptReader reader, JudgeAnswerWriter? writer,
        out string[] identity)
    {
        var timeout = TimeSpan.FromSeconds(options.TimeoutSeconds);
        var retry = new LlmRetryPolicy(options.MaxRetries, RetryBaseDelay, RetryMaxDelay);
        switch (options.Provider)
        {
            case LlmProvider.AzureOpenAI:
            {
                identity = [options.Provider.ToString(), options.Endpoint!, options.Model!];
                var clientOptions = new AzureOpenAIClientOptions { NetworkTimeout = timeout, RetryPolicy = retry };
                var endpoint = new Uri(options.Endpoint!);
                var client = string.IsNullOrEmpty(options.ApiKey)
                    ? new AzureOpenAIClient(endpoint, new DefaultAzureCredential(), clientOptions)
                    : new AzureOpenAIClient(endpoint, new AzureKeyCredential(options.ApiKey), clientOptions);
                return client.GetChatClient(options.Model!).AsIChatClient();
            }
            case LlmProvider.OpenAICompatible:
            {
                identity = [options.Provider.ToString(), options.Endpoint!, options.Model!];
                // Local servers (vLLM, Ollama, llama.cpp) ignore the key but the SDK insists on one.
                var client = new OpenAIClient(
                    new ApiKeyCredential(string.IsNullOrEmpty(options.ApiKey) ? "not-needed" : options.ApiKey),
                    new OpenAIClientOptions { Endpoint = new Uri(options.Endpoint!), NetworkTimeout = timeout, RetryPolicy = retry });
                return client.GetChatClient(options.Model!).AsIChatClient();
            }
            case LlmProvider.Replay:
            {
                // The recording is the "model": a different file must never be answered from another's cache.
                var path = options.ReplayPath()!;
                using (var file = File.OpenRead(path))
                    identity = [options.Provider.ToString(), Convert.ToHexStringLower(SHA256.HashData(file))];
                return new ReplayChatClient(ReplayBook.Load(path), reader, writer);
            }
            default:
                throw new InvalidOperationException($"Llm:Provider '{options.Provider}' is not supported");
        }
    }
}
