using SynthPref.Orchestration.Pairs;

namespace SynthPref.Orchestration.Audit;

/// <summary>
/// Looks for the two classic LLM-judge biases in the judge pairs of a run. Revision pairs are excluded
/// because their verdict is fixed by construction ("revised wins") and says nothing about the judge.
/// The length warning fires when the longer text wins more than 65% or fewer than 35% of decisive pairs:
/// either direction means length, not content, is steering the verdict.
/// </summary>
public static class BiasAuditor
{
    public static BiasReport Audit(IEnumerable<PreferencePair> pairs)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        var judgePairs = pairs.Where(p => p.Source == PairSource.Judge).ToList();
        return new BiasReport(AuditLength(judgePairs), AuditPosition(judgePairs));
    }

    public static int WordCount(string? text) =>
        text is null ? 0 : text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;

    private static LengthBias AuditLength(IReadOnlyList<PreferencePair> judgePairs)
    {
        int decisive = 0, longerPreferred = 0, equal = 0;
        foreach (var pair in judgePairs.Where(p => p.IsDecisive))
        {
            int wordsA = WordCount(pair.ResponseA);
            int wordsB = WordCount(pair.ResponseB);
            // Equal-length pairs carry no signal about length preference, so they must not dilute the share.
            if (wordsA == wordsB)
            {
                equal++;
                continue;
            }

            decisive++;
            bool aLonger = wordsA > wordsB;
            if ((pair.Verdict == Preference.A) == aLonger)
                longerPreferred++;
        }

        double? share = decisive == 0 ? null : (double)longerPreferred / decisive;
        // |share − 0.5| > 0.15 evaluated in integers: in doubles 13/20 − 0.5 lands just above 0.15 and would
        // flag a share sitting exactly on the margin.
        bool warning = decisive > 0 && Math.Abs(20L * longerPreferred - 10L * decisive) > 3L * decisive;
        return new LengthBias(decisive, longerPreferred, equal, share, warning);
    }

    private static PositionBias AuditPosition(IReadOnlyList<PreferencePair> judgePairs)
    {
        int bothOrders = judgePairs.Count(p => p.JudgedBothOrders);
        int inconsistent = judgePairs.Count(p => p.JudgedBothOrders && p.PositionInconsistent);

        // Each positional call is an independent observation of "did the first-shown text win",
        // which also captures single-order pairs that the inconsistency rate cannot see.
        int calls = 0, firstWon = 0;
        foreach (var pair in judgePairs)
        {
            foreach (var call in new[] { pair.ForwardCall, pair.SwappedCall })
            {
                if (call is not (Preference.A or Preference.B))
                    continue;
                calls++;
                if (call == Preference.A)
                    firstWon++;
            }
        }

        return new PositionBias(
            bothOrders,
            inconsistent,
            bothOrders == 0 ? null : (double)inconsistent / bothOrders,
            calls == 0 ? null : (double)firstWon / calls);
    }
}
