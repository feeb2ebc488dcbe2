using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;

namespace SynthPref.Orchestration.Llm;

/// <summary>Receives the requests a collecting pass finds (see <see cref="LlmCallScope.BeginCollecting"/>).</summary>
public interface IBatchCollector
{
    /// <summary>Whether this run sends a role's requests by batch; a request of any other role is not collected.</summary>
    bool Batches(string role);

    void Add(BatchRequest request);
}

/// <summary>One line of a batch input file: its <c>custom_id</c> (the response-cache key, so the answer goes where a
/// live call's would) and the whole JSONL line, for the section and role that asked.</summary>
public sealed record BatchRequest(string Section, string Role, string CustomId, byte[] Line);

/// <summary>Where a section's batched requests go: the chat-completions path each line names (and the batch's
/// <c>endpoint</c>), and the model or deployment that answers them.</summary>
public sealed record BatchTarget(string Section, string Url, string Model)
{
    /// <summary>OpenAI's Batch API names the path under the API's root ("/v1/chat/completions"); Azure OpenAI's v1 API,
    /// which its batches go through, names it under <c>/openai/v1</c> ("/chat/completions"), and the body names the
    /// global-batch deployment instead of the live one.</summary>
    public static BatchTarget? For(LlmOptions options, string section) => options.Provider switch
    {
        LlmProvider.OpenAICompatible when options.Endpoint is { } endpoint && Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) =>
            new(section, uri.AbsolutePath.TrimEnd('/') + "/chat/completions", options.Model!),
        LlmProvider.AzureOpenAI when !string.IsNullOrWhiteSpace(options.BatchDeployment) =>
            new(section, "/chat/completions", options.BatchDeployment.Trim()),
        _ => null,
    };

    /// <summary><c>{"custom_id", "method": "POST", "url", "body"}</c>, the body being what the SDK would send live with
    /// its model swapped for this target's.</summary>
    public byte[] Line(string customId, ReadOnlySpan<byte> body)
    {
        var node = JsonNode.Parse(body) as JsonObject
                   ?? throw new InvalidOperationException("The chat request body the SDK built is not a JSON object.");
        node["model"] = Model;
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            writer.WriteString("custom_id", customId);
            writer.WriteString("method", "POST");
            writer.WriteString("url", Url);
            writer.WritePropertyName("body");
            node.WriteTo(writer);
            writer.WriteEndObject();
        }
        return buffer.ToArray();
    }
}

/// <summary>A collecting pass stopped this step: its request is not answered yet (it is in a batch, or waits for one
/// of another role's answers). The step runs again once the batch has answered.</summary>
public sealed class BatchPendingException(string role)
    : Exception($"The {role} request is not answered yet: it waits for the run's batch.");

/// <summary>A request the run takes only from the cache had no answer there (see <see cref="LlmCallScope.CacheOnlyRoles"/>).</summary>
public sealed class LlmNotAnsweredException(string message) : Exception(message);

/// <summary>
/// Directly below the response cache, so it sees exactly the requests the cache could not answer. In a collecting pass
/// no request goes further: one of a role the run batches is built by a second, offline copy of the provider client
/// (same SDK, same options, a transport that keeps the body instead of sending it), so its line holds byte for byte
/// what a live call would send, and handed to the collector under its cache key; then the step stops
/// (<see cref="BatchPendingException"/>). Outside a collecting pass, a role the run takes from the cache only is refused
/// here; every other request goes on to the provider as before.
/// </summary>
public sealed class BatchChatClient(IChatClient inner, Func<IEnumerable<ChatMessage>, ChatOptions?, string>? keyFor, IChatClient? capture,
    BatchTarget? target) : DelegatingChatClient(inner)
{
    /// <summary>Whether this section can take part in a batch (a Batch API, a cache to answer from).</summary>
    public bool CanBatch => keyFor is not null && capture is not null && target is not null;

    public BatchTarget? Target => target;

    public override async Task<ChatResponse> GetResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        await InterceptAsync(messages, options, cancellationToken).ConfigureAwait(false);
        return await base.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
    }

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await InterceptAsync(messages, options, cancellationToken).ConfigureAwait(false);
        await foreach (var update in base.GetStreamingResponseAsync(messages, options, cancellationToken).ConfigureAwait(false))
            yield return update;
    }

    async Task InterceptAsync(IEnumerable<ChatMessage> messages, ChatOptions? options, CancellationToken ct)
    {
        if (LlmCallScope.Current is not { } scope) return;
        var role = RoleChatClient.CurrentRole;
        if (scope.Collector is { } collector)
        {
            if (CanBatch && collector.Batches(role))
            {
                var key = keyFor!(messages, options);
                var body = await CaptureAsync(messages, options, ct).ConfigureAwait(false);
                collector.Add(new BatchRequest(target!.Section, role, key, target.Line(key, body)));
            }
            throw new BatchPendingException(role);
        }
        if (scope.CacheOnlyRoles?.Contains(role) == true)
        {
            scope.CountUnanswered(role);
            throw new LlmNotAnsweredException(scope.CacheOnlyReason ?? $"The {role} request had no answer in the run's batches.");
        }
    }

    async Task<byte[]> CaptureAsync(IEnumerable<ChatMessage> messages, ChatOptions? options, CancellationToken ct)
    {
        try
        {
            await capture!.GetResponseAsync(messages, options, ct).ConfigureAwait(false);
        }
        catch (CapturedRequestException captured)
        {
            return captured.Body;
        }
        throw new InvalidOperationException("The offline provider client answered a request it should only have built.");
    }
}

/// <summary>Thrown by <see cref="RequestCaptureHandler"/> with the request body the SDK built.</summary>
public sealed class CapturedRequestException(Uri? uri, byte[] body) : Exception($"Request to {uri} captured, not sent.")
{
    public Uri? Uri { get; } = uri;
    public byte[] Body { get; } = body;
}

/// <summary>The transport of the offline provider client: it keeps the body the SDK serialised and sends nothing.</summary>
public sealed class RequestCaptureHandler : HttpMessageHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? [] : await request.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        throw new CapturedRequestException(request.RequestUri, body);
    }
}

public static class BatchChatClientBuilderExtensions
{
    /// <summary>Adds a <see cref="BatchChatClient"/>. Without <paramref name="keyFor"/>, <paramref name="capture"/> and
    /// <paramref name="target"/> the section cannot batch: it only refuses the roles a run takes from the cache only.</summary>
    /// <param name="keyFor">The response cache's key for a request (<see cref="StoredResponseCache.KeyFor"/>).</param>
    /// <param name="capture">The offline copy of the provider client whose transport keeps each body.</param>
    public static ChatClientBuilder UseBatchRequests(this ChatClientBuilder builder, Func<IEnumerable<ChatMessage>, ChatOptions?, string>? keyFor = null,
        IChatClient? capture = null, BatchTarget? target = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Use(inner => new BatchChatClient(inner, keyFor, capture, target));
    }
}
