using Microsoft.DurableTask;
using Microsoft.Extensions.AI;
using SynthPref.Orchestration.Input;
using SynthPref.Orchestration.Llm;

namespace SynthPref.Orchestration.Generation;

public sealed record ItemTask(string RunId, int Index);

/// <summary>
/// For prompt-only items: two samples from the policy model become response_a and response_b.
/// Different sampling seeds keep the two from collapsing into the same text.
/// </summary>
public sealed class GenerateResponsesActivity(ItemStore items, PolicyModel policy) : TaskActivity<ItemTask, bool>
{
    public override async Task<bool> RunAsync(TaskActivityContext context, ItemTask task)
    {
        var item = await items.GetItemAsync(task.RunId, task.Index, CancellationToken.None);
        if (!item.NeedsGeneration) return false;

        var first = GenerateAsync(item.Prompt, seed: 1);
        var second = GenerateAsync(item.Prompt, seed: 2);
        var (a, b) = (await first, await second);
        // The configured name first: it is what the self-preference audit compares with the judge's.
        var model = policy.Name ?? a.ModelId ?? "policy";
        await items.SaveItemAsync(task.RunId, item with
        {
            ResponseA = a.Text,
            ResponseB = b.Text,
            ModelA = $"{model}#sample1",
            ModelB = $"{model}#sample2",
        }, CancellationToken.None);
        return true;
    }

    Task<ChatResponse> GenerateAsync(string prompt, int seed) =>
        policy.Chat.GetResponseAsync([new ChatMessage(ChatRole.User, prompt)], new ChatOptions { Temperature = 1.0f, Seed = seed });
}
