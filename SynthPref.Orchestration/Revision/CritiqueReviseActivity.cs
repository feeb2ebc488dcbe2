using Microsoft.DurableTask;
using SynthPref.Orchestration.Generation;
using SynthPref.Orchestration.Input;
using SynthPref.Orchestration.Judging;
using SynthPref.Orchestration.Pairs;

namespace SynthPref.Orchestration.Revision;

/// <summary>Critique → revise on response_a; the revision is stored as A and wins by construction.</summary>
public sealed class CritiqueReviseActivity(ItemStore items, PairStore pairs, ConstitutionalReviser reviser)
    : TaskActivity<ItemTask, PairOutcome>
{
    public override async Task<PairOutcome> RunAsync(TaskActivityContext context, ItemTask task)
    {
        var item = await items.GetItemAsync(task.RunId, task.Index, CancellationToken.None);
        var original = item.ResponseA ?? throw new InvalidOperationException($"Item {item.Id} has no response_a to revise.");

        var revision = await reviser.ReviseAsync(item.Prompt, original, CancellationToken.None);
        var pair = new PreferencePair(
            task.RunId, PreferencePair.KeyFor(item.Index, PairSource.Revision), item.Index, item.Id, item.Category,
            PairSource.Revision, item.Prompt, revision.Revised, original, "critique-revise", item.ModelA,
            Preference.A, Confidence: null, Reasoning: revision.Critique, JudgedBothOrders: false, PositionInconsistent: false,
            ForwardCall: null, SwappedCall: null, JudgeCalls: 0);
        await pairs.SaveAsync(pair, CancellationToken.None);
        return new PairOutcome(pair.PairId, pair.Verdict);
    }
}
