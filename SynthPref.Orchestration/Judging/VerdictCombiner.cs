using SynthPref.Orchestration.Pairs;

namespace SynthPref.Orchestration.Judging;

/// <summary>
/// Turns one or two positional judge calls into a verdict in the input's A/B terms. Judging both orders and
/// demoting disagreements to TIE is the standard defence against LLM judges' position bias.
/// </summary>
public static class VerdictCombiner
{
    public const string ForwardLabel = "[Input A shown first]";
    public const string SwappedLabel = "[Input B shown first]";

    /// <param name="forward">Call with input A shown first, so its positional answer is already in input terms.</param>
    /// <param name="swapped">Call with input B shown first, so its positional A means input B.</param>
    public static PairVerdict Combine(JudgeCall forward, JudgeCall? swapped)
    {
        ArgumentNullException.ThrowIfNull(forward);

        if (swapped is null)
        {
            return new PairVerdict(forward.Preference, forward.Confidence, forward.Reasoning,
                JudgedBothOrders: false, PositionInconsistent: false, forward, null);
        }

        var forwardPreference = forward.Preference;
        var swappedPreference = ToInputTerms(swapped.Preference);
        var forwardParsed = forwardPreference != Preference.Unparseable;
        var swappedParsed = swappedPreference != Preference.Unparseable;

        if (!forwardParsed && !swappedParsed)
        {
            return new PairVerdict(Preference.Unparseable, null, null,
                JudgedBothOrders: false, PositionInconsistent: false, forward, swapped);
        }

        // Only one order was actually judged, so nothing guards this answer against position bias.
        if (!forwardParsed || !swappedParsed)
        {
            var (preference, reasoning) = forwardParsed
                ? (forwardPreference, forward.Reasoning)
                : (swappedPreference, swapped.Reasoning);
            return new PairVerdict(preference, Confidence.Low, reasoning,
                JudgedBothOrders: false, PositionInconsistent: false, forward, swapped);
        }

        if (forwardPreference == swappedPreference)
        {
            return new PairVerdict(forwardPreference, Lower(forward.Confidence, swapped.Confidence), forward.Reasoning,
                JudgedBothOrders: true, PositionInconsistent: false, forward, swapped);
        }

        return new PairVerdict(Preference.Tie, Confidence.Low, JoinReasoning(forward.Reasoning, swapped.Reasoning),
            JudgedBothOrders: true, PositionInconsistent: true, forward, swapped);
    }

    /// <summary>Maps a positional answer from the swapped call (input B shown first) back to input terms.</summary>
    public static Preference ToInputTerms(Preference swappedPositional) => swappedPositional switch
    {
        Preference.A => Preference.B,
        Preference.B => Preference.A,
        _ => swappedPositional,
    };

    private static Confidence? Lower(Confidence? first, Confidence? second) => (first, second) switch
    {
        (null, _) => second,
        (_, null) => first,
        _ => first < second ? first : second,
    };

    private static string? JoinReasoning(string? forward, string? swapped)
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
