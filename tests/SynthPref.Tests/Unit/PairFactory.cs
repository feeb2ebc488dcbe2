using SynthPref.Orchestration.Judging;
using SynthPref.Orchestration.Pairs;

namespace SynthPref.Tests.Unit;

/// <summary>Builds pairs with neutral defaults so each test spells out only the fields it is about.</summary>
static class PairFactory
{
    public static PreferencePair Pair(
        Preference verdict,
        string responseA = "alpha",
        string responseB = "beta",
        PairSource source = PairSource.Judge,
        int itemIndex = 0,
        string category = "general",
        string prompt = "prompt",
        string? inputId = null,
        Confidence? confidence = null,
        bool judgedBothOrders = false,
        bool positionInconsistent = false,
        Preference? forwardCall = null,
        Preference? swappedCall = null,
        string? modelA = null,
        string? modelB = null,
        string? judgeModel = null) =>
        new(
            RunId: "run-1",
            PairId: PreferencePair.KeyFor(itemIndex, source),
            ItemIndex: itemIndex,
            InputId: inputId ?? $"item-{itemIndex}",
            Category: category,
            Source: source,
            Prompt: prompt,
            ResponseA: responseA,
            ResponseB: responseB,
            ModelA: modelA,
            ModelB: modelB,
            Verdict: verdict,
            Confidence: confidence,
            Reasoning: null,
            JudgedBothOrders: judgedBothOrders,
            PositionInconsistent: positionInconsistent,
            Forward: forwardCall,
            Swapped: swappedCall,
            Calls: judgedBothOrders ? 2 : 1,
            JudgeModel: judgeModel);
}
