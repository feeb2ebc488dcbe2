using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace SynthPref.Orchestration.Llm;

/// <summary>
/// Names what a call is for ("judge", "reviser", "policy") and counts it as a request in the ambient
/// <see cref="LlmCallScope"/>. Roles share one client per endpoint, so they share its concurrency limit; the role
/// travels with the call to <see cref="ProviderCallCountingChatClient"/>, next to the provider.
/// </summary>
public sealed class RoleChatClient(IChatClient inner, string role) : DelegatingChatClient(inner)
{
    static readonly AsyncLocal<string?> Ambient = new();

    public string Role => role;

    public static string CurrentRole => Ambient.Value ?? "unnamed";

    public override async Task<ChatResponse> GetResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        LlmCallScope.Current?.CountRequest(role);
        Ambient.Value = role;
        return await base.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
    }

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        LlmCallScope.Current?.CountRequest(role);
        Ambient.Value = role;
        await foreach (var update in base.GetStreamingResponseAsync(messages, options, cancellationToken).ConfigureAwait(false))
            yield return update;
    }
}

/// <summary>Counts the calls that really reached the provider, with their tokens, under the caller's role.
/// Requests minus these calls are what the response cache saved.</summary>
public sealed class ProviderCallCountingChatClient(IChatClient inner) : DelegatingChatClient(inner)
{
    public override async Task<ChatResponse> GetResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ChatResponse? response = null;
        try
        {
            response = await base.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
            return response;
        }
        finally
        {
            // A failed call reached the provider too, and may have been billed.
            LlmCallScope.Current?.CountCall(RoleChatClient.CurrentRole, response?.Usage?.InputTokenCount, response?.Usage?.OutputTokenCount,
                failed: response is null);
        }
    }

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        long? input = null, output = null;
        var completed = false;
        try
        {
            await foreach (var update in base.GetStreamingResponseAsync(messages, options, cancellationToken).ConfigureAwait(false))
            {
                foreach (var usage in update.Contents.OfType<UsageContent>())
                {
                    input = (input ?? 0) + usage.Details.InputTokenCount;
                    output = (output ?? 0) + usage.Details.OutputTokenCount;
                }
                yield return update;
            }
            completed = true;
        }
        finally
        {
            LlmCallScope.Current?.CountCall(RoleChatClient.CurrentRole, input, output, failed: !completed);
        }
    }
}

public static class RoleChatClientExtensions
{
    public static IChatClient ForRole(this IChatClient client, string role) => new RoleChatClient(client, role);
}

public static class ProviderCallCountingChatClientBuilderExtensions
{
    /// <summary>Adds a <see cref="ProviderCallCountingChatClient"/>; innermost, so it counts only calls that reached the
    /// provider.</summary>
    public static ChatClientBuilder UseProviderCallCounting(this ChatClientBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Use(inner => new ProviderCallCountingChatClient(inner));
    }
}
