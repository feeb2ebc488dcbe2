using Microsoft.Extensions.AI;
using SynthPref.Orchestration.Input;
using SynthPref.Orchestration.Llm;

namespace SynthPref.Orchestration.Generation;

/// <summary>
/// For prompt-only items: two samples from the policy model become response_a and response_b.
/// Different sampling seeds keep the two from collapsing into the same text.
/// </summary>
public sealed class ResponseGenerator(PolicyModel policy)
{
    public async Task<InputItem> GenerateAsync(InputItem item, CancellationToken ct)
    {
        // A messages item is answered in its conversation, as a chat product would.
        IList<ChatMessage> messages = item.Conversation is { } conversation
            ? conversation.ContextA.Select(t => new ChatMessage(new ChatRole(t.Role), t.Content)).ToList()
            : [new ChatMessage(ChatRole.User, item.Prompt)];
        var first = GenerateAsync(messages, seed: 1, ct);
        var second = GenerateAsync(messages, seed: 2, ct);
        // Both awaited before either is read: a failed first sample must not leave the second running unobserved.
        await Task.WhenAll(first, second);
        var (a, b) = (await first, await second);
        // The configured name first: it is what the self-preference audit compares with the judge's.
        var model = policy.Name ?? a.ModelId ?? "policy";
        return item with
        {
            ResponseA = a.Text,
            ResponseB = b.Text,
            ModelA = $"{model}#sample1",
            ModelB = $"{model}#sample2",
        };
    }

    Task<ChatResponse> GenerateAsync(IList<ChatMessage> messages, int seed, CancellationToken ct) =>
        policy.Chat.GetResponseAsync(messages, new ChatOptions { Temperature = 1.0f, Seed = seed }, ct);
}
