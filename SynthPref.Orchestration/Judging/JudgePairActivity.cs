using Microsoft.DurableTask;
using Microsoft.Extensions.Options;
using SynthPref.Orchestration.Generation;
using SynthPref.Orchestration.Input;
using SynthPref.Orchestration.Llm;
using SynthPref.Orchestration.Pairs;

namespace SynthPref.Orchestration.Judging;

public sealed record JudgeTask(string RunId, int Index, bool SwapPositions);

/// <summary>The small part of a stored pair the orchestrator needs for progress.</summary>
public sealed record PairOutcome(string PairId, Preference Verdict);

public sealed class JudgePairActivity(ItemStore items, PairStore pairs, PairwiseJudge judge, IOptions<LlmOptions> llm)
    : TaskActivity<JudgeTask, PairOutcome>
{
    public override async Task<PairOutcome> RunAsync(TaskActivityContext context, JudgeTask task)
    {
        var item = await items.GetItemAsync(task.RunId, task.Index, CancellationToken.None);
        if (!item.HasBothResponses)
            throw new InvalidOperationException($"Item {item.Id} has no pair of responses to judge.");

        var verdict = await judge.JudgeAsync(item.Prompt, item.ResponseA!, item.ResponseB!, task.SwapPositions, CancellationToken.None);
        var pair = new PreferencePair(
            task.RunId, PreferencePair.KeyFor(item.Index, PairSource.Judge), item.Index, item.Id, item.Category,
            PairSource.Judge, item.Prompt, item.ResponseA!, item.ResponseB!, item.ModelA, item.ModelB,
            verdict.Preference, verdict.Confidence, verdict.Reasoning, verdict.JudgedBothOrders, verdict.PositionInconsistent,
            verdict.Forward.Preference, verdict.Swapped?.Preference, verdict.Calls, llm.Value.JudgeModelName());
        await pairs.SaveAsync(pair, CancellationToken.None);
        return new PairOutcome(pair.PairId, pair.Verdict);
    }
}
