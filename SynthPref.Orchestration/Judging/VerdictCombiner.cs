namespace SynthPref.Orchestration.Judging;

/// <summary>
/// Turns one or two positional judge calls into a verdict in the input's A/B terms. Judging both orders and
/// demoting disagreements to TIE is the standard defence against LLM judges' position bias.
/// </summary>
public static class VerdictCombiner
{
    public const string ForwardLabel = "[Input A shown first]";
    public const string SwappedLabel = "[Input B shown first]";

    /// <summary>One judge's verdict on a pair from its call with input A shown first (<paramref name="forward"/>, whose
    /// positional answer is already in input terms) and, when both orders were asked, its call with input B shown first
    /// (<paramref name="swapped"/>, whose positional A means input B).</summary>
    public static JudgeVerdict Combine(string name, string? model, JudgeCall forward, JudgeCall? swapped)
    {
        ArgumentNullException.ThrowIfNull(forward);
        var (verdict, judgedBothOrders, inconsistent) = Decide(forward.Answer, swapped?.Answer);
        return new JudgeVerdict(name, model, verdict.Verdict, verdict.Confidence, verdict.Reasoning,
            forward.Answer.Verdict, swapped?.Answer.Verdict, judgedBothOrders, inconsistent,
            forward.Attempts + (swapped?.Attempts ?? 0),
            forward.Structured && (swapped?.Structured ?? true),
            forward.UnparseableOutputs is null && swapped?.UnparseableOutputs is null
                ? null
                : [.. (forward.UnparseableOutputs ?? []).Concat(swapped?.UnparseableOutputs ?? []).Select(Shorten)])
        {
            FellBackToText = forward.FellBackToText || swapped?.FellBackToText == true,
        };
    }

    static (JudgeAnswer Verdict, bool JudgedBothOrders, bool PositionInconsistent) Decide(JudgeAnswer forward, JudgeAnswer? swapped)
    {
        if (swapped is null)
            return (forward, false, false);

        var swappedInInputTerms = ToInputTerms(swapped.Verdict);
        var forwardParsed = forward.Verdict != Preference.Unparseable;
        var swappedParsed = swappedInInputTerms != Preference.Unparseable;

        if (!forwardParsed && !swappedParsed)
            return (JudgeAnswer.Unparseable, false, false);

        // Only one order was actually judged, so nothing guards this answer against position bias.
        if (!forwardParsed || !swappedParsed)
        {
            return forwardParsed
                ? (new JudgeAnswer(forward.Verdict, Confidence.Low, forward.Reasoning), false, false)
                : (new JudgeAnswer(swappedInInputTerms, Confidence.Low, swapped.Reasoning), false, false);
        }

        if (forward.Verdict == swappedInInputTerms)
            return (new JudgeAnswer(forward.Verdict, Lower(forward.Confidence, swapped.Confidence), forward.Reasoning), true, false);

        return (new JudgeAnswer(Preference.Tie, Confidence.Low, JoinReasoning(forward.Reasoning, swapped.Reasoning)), true, true);
    }

    static string Shorten(string output) =>
        output.Length <= JudgeVerdict.MaxKeptOutputChars ? output : string.Concat(output.AsSpan(0, JudgeVerdict.MaxKeptOutputChars), "…");

    /// <summary>Maps a positional answer from the swapped call (input B shown first) back to input terms.</summary>
    public static Preference ToInputTerms(Preference swappedPositional) => swappedPositional switch
    {
        Preference.A => Preference.B,
        Preference.B => Preference.A,
        _ => swappedPositional,
    };

    static Confidence? Lower(Confidence? first, Confidence? second) => (first, second) switch
    {
        (null, _) => second,
        (_, null) => first,
        _ => first < second ? first : second,
    };

    static string? JoinReasoning(string? forward, string? swapped)
    {
        var parts = new List<string>(2);
        if (!string.IsNullOrWhiteSpace(forward))
        {
            parts.Add($"{ForwardLabel}\n{forward}");
        }

        if (!string.IsNullOrWhiteSpace(swapped))
        {
            parts.Add($"{SwappedLabel}\n{swapped}");
        }

        return parts.Count == 0 ? null : string.Join("\n\n---\n\n", parts);
    }
}
