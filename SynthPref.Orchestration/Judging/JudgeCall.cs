using SynthPref.Orchestration.Pairs;

namespace SynthPref.Orchestration.Judging;

/// <summary>
/// One judge answer for one presentation order. Preference is positional: A = the text shown first.
/// UnparseableOutputs keeps every raw answer that yielded no verdict (null when there was none), so a user can see
/// what the judge said. Structured: the verdict came from a JSON-schema answer. FellBackToText: the endpoint refused
/// <c>response_format</c> during this call, and the text template answered instead.
/// </summary>
public sealed record JudgeCall(Preference Preference, Confidence? Confidence, string? Reasoning, string RawOutput, int Attempts,
    IReadOnlyList<string>? UnparseableOutputs = null, bool Structured = false, bool FellBackToText = false);

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

    public bool FellBackToText => Forward.FellBackToText || Swapped?.FellBackToText == true;
}
