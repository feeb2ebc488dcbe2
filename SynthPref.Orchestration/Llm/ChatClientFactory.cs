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
    /// requests, the response cache (a hit takes no concurrency slot), the batch interceptor (<see cref="BatchChatClient"/>),
    /// the concurrency limit, the per-call budget, logging, OpenTelemetry (token and latency
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
            .UseResponseCoalescing();
        StoredResponseCache? stored = null;
        if (cache is not null)
            builder = builder.UseStoredResponseCache(cache, identity, configure: built => stored = built);
        // Below the cache, above the limiter: a request a collecting pass keeps takes no slot and reaches no telemetry.
        // Batch answers are written to the cache under the key the cache would look up, so only a section with a cache batches.
        var batches = cache is not null && options.CanBatch ? BatchTarget.For(options, section) : null;
        builder = batches is null
            ? builder.UseBatchRequests()
            : builder.UseBatchRequests((messages, chatOptions) => stored!.KeyFor(messages, chatOptions),
                CreateProviderClient(options, reader, writer, out _, offline: true), batches);
        builder = builder
            .UseConcurrencyLimit(options.MaxConcurrency)
            .UseCallBudget(TimeSpan.FromSeconds(options.CallBudgetSeconds));
        // Logging sits inside the limiter so logged durations are provider time, not time spent queued.
        if (loggerFactory is not null)
            builder = builder.UseLogging(loggerFactory);
        // Inside the cache, so what reaches App Insights is what the provider was really asked and billed for.
        builder = builder.UseOpenTelemetry(loggerFactory, LlmTelemetry.SourceName);
        return builder
            .UseProviderCallCounting()
            .Build();
    }

    /// <param name="identity">What besides the request decides the answer: the provider, where it is and which model.
    /// It is part of every cache key, so two models never share an answer.</param>
    /// <param name="offline">The same client over a transport that keeps each request's body and sends nothing (see
    /// <see cref="RequestCaptureHandler"/>): how a batch line gets exactly the body a live call would send. It needs no
    /// credential, since authentication does not touch the body.</param>
    static IChatClient CreateProviderClient(LlmOptions options, JudgePromptReader reader, JudgeAnswerWriter? writer,
        out string[] identity, bool offline = false)
    {
        var timeout = TimeSpan.FromSeconds(options.TimeoutSeconds);
        System.ClientModel.Primitives.ClientRetryPolicy retry = offline
            ? new System.ClientModel.Primitives.ClientRetryPolicy(0)
            : new LlmRetryPolicy(options.MaxRetries, RetryBaseDelay, RetryMaxDelay);
        var transport = offline ? new System.ClientModel.Primitives.HttpClientPipelineTransport(new HttpClient(new RequestCaptureHandler())) : null;
        switch (options.Provider)
        {
            case LlmProvider.AzureOpenAI:
            {
                identity = [options.Provider.ToString(), options.Endpoint!, options.Model!];
                var clientOptions = new AzureOpenAIClientOptions { NetworkTimeout = timeout, RetryPolicy = retry };
                if (transport is not null) clientOptions.Transport = transport;
                var endpoint = new Uri(options.Endpoint!);
                var client = offline ? new AzureOpenAIClient(endpoint, new AzureKeyCredential("offline"), clientOptions)
                    : string.IsNullOrEmpty(options.ApiKey)
                    ? new AzureOpenAIClient(endpoint, new DefaultAzureCredential(), clientOptions)
                    : new AzureOpenAIClient(endpoint, new AzureKeyCredential(options.ApiKey), clientOptions);
                return client.GetChatClient(options.Model!).AsIChatClient();
            }
            case LlmProvider.OpenAICompatible:
            {
                identity = [options.Provider.ToString(), options.Endpoint!, options.Model!];
                // Local servers (vLLM, Ollama, llama.cpp) ignore the key but the SDK insists on one.
                var clientOptions = new OpenAIClientOptions { Endpoint = new Uri(options.Endpoint!), NetworkTimeout = timeout, RetryPolicy = retry };
                if (transport is not null) clientOptions.Transport = transport;
                var client = new OpenAIClient(
                    new ApiKeyCredential(offline || string.IsNullOrEmpty(options.ApiKey) ? "not-needed" : options.ApiKey), clientOptions);
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
