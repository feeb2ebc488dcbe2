using SynthPref.Orchestration.Pairs;

namespace SynthPref.Orchestration.Audit;

/// <summary>
/// Looks for four known LLM-judge biases in the judge pairs of a run: length, position, self-preference and
/// list/format. Revision pairs are excluded because their verdict is fixed by construction ("revised wins") and
/// says nothing about the judge.
/// The length and format warnings fire when the longer (formatted) text wins more than 65% or fewer than 35% of
/// the decisive pairs that differ in it: either direction means that trait, not content, is steering the verdict.
/// </summary>
public static class BiasAuditor
{
    public static BiasReport Audit(IEnumerable<PreferencePair> pairs)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        var judgePairs = pairs.Where(p => p.Source == PairSource.Judge).ToList();
        return new BiasReport(AuditLength(judgePairs), AuditPosition(judgePairs),
            AuditSelfPreference(judgePairs), AuditFormat(judgePairs));
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

        return new LengthBias(decisive, longerPreferred, equal, Share(longerPreferred, decisive), BeyondMargin(longerPreferred, decisive));
    }

    private static SelfPreferenceBias AuditSelfPreference(IReadOnlyList<PreferencePair> judgePairs)
    {
        int pairs = 0, ownPreferred = 0;
        foreach (var pair in judgePairs.Where(p => p.IsDecisive))
        {
            bool aOwn = ModelNames.SameModel(pair.ModelA, pair.JudgeModel);
            bool bOwn = ModelNames.SameModel(pair.ModelB, pair.JudgeModel);
            // Both or neither from the judge's model: the verdict cannot show a preference for its own output.
            if (aOwn == bOwn)
                continue;

            pairs++;
            if ((pair.Verdict == Preference.A) == aOwn)
                ownPreferred++;
        }

        // One-sided on purpose: favouring its own outputs is the bias; a judge that prefers the other model is
        // not self-preferring, and its own model may simply be the weaker one in the pairs it was given.
        return new SelfPreferenceBias(pairs, ownPreferred, Share(ownPreferred, pairs), AboveMargin(ownPreferred, pairs));
    }

    private static FormatBias AuditFormat(IReadOnlyList<PreferencePair> judgePairs)
    {
        int pairs = 0, formattedPreferred = 0;
        foreach (var pair in judgePairs.Where(p => p.IsDecisive))
        {
            bool aFormatted = FormatFeatures.IsFormatted(pair.ResponseA);
            bool bFormatted = FormatFeatures.IsFormatted(pair.ResponseB);
            // Both or neither formatted: no signal about format preference.
            if (aFormatted == bFormatted)
                continue;

            pairs++;
            if ((pair.Verdict == Preference.A) == aFormatted)
                formattedPreferred++;
        }

        return new FormatBias(pairs, formattedPreferred, Share(formattedPreferred, pairs), BeyondMargin(formattedPreferred, pairs));
    }

    private static double? Share(int hits, int total) => total == 0 ? null : (double)hits / total;

    // hits/total − 0.5 scaled by 20·total, so the 0.15 margin becomes 3·total and the comparison stays in integers:
    // in doubles 13/20 − 0.5 lands just above 0.15 and would flag a share sitting exactly on the margin.
    private static long ScaledDistanceFromHalf(int hits, int total) => 20L * hits - 10L * total;

    /// <summary>|hits/total − 0.5| &gt; 0.15, exactly; false without data.</summary>
    private static bool BeyondMargin(int hits, int total) =>
        total > 0 && Math.Abs(ScaledDistanceFromHalf(hits, total)) > 3L * total;

    /// <summary>hits/total &gt; 0.65, exactly; false without data.</summary>
    private static bool AboveMargin(int hits, int total) =>
        total > 0 && ScaledDistanceFromHalf(hits, total) > 3L * total;

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
