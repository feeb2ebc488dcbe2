using SynthPref.Orchestration.Pairs;

namespace SynthPref.Orchestration.Judging;

/// <summary>One judge answer for one presentation order. Preference is positional: A = the text shown first.</summary>
public sealed record JudgeCall(Preference Preference, Confidence? Confidence, string? Reasoning, string RawOutput, int Attempts);

/// <summary>The verdict for a pair in the input's own A/B terms, combined from one or two calls.</summary>
public sealed record PairVerdict(
    Preference Preference,
    Confidence? Confidence,
    string? Reasoning,
    bool JudgedBothOrders,
    bool PositionInconsistent,
    JudgeCall Forward,
    JudgeCall? Swapped)
{
    public int Calls => Forward.Attempts + (Swapped?.Attempts ?? 0);
}
