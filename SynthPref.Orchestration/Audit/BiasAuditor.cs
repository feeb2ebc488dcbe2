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
        // Equal-length pairs carry no signal about length preference, so they must not dilute the share.
        var equal = judgePairs.Count(p => p.IsDecisive && WordCount(p.ResponseA) == WordCount(p.ResponseB));
        var (decisive, longerPreferred) = Contest(judgePairs, p =>
        {
            int wordsA = WordCount(p.ResponseA), wordsB = WordCount(p.ResponseB);
            return wordsA == wordsB ? null : wordsA > wordsB;
        });
        return new LengthBias(decisive, longerPreferred, equal, Share(longerPreferred, decisive), BeyondMargin(longerPreferred, decisive));
    }

    private static SelfPreferenceBias AuditSelfPreference(IReadOnlyList<PreferencePair> judgePairs)
    {
        var (pairs, ownPreferred) = Contest(judgePairs, p =>
            Contrast(ModelNames.SameModel(p.ModelA, p.JudgeModel), ModelNames.SameModel(p.ModelB, p.JudgeModel)));

        // One-sided on purpose: favouring its own outputs is the bias; a judge that prefers the other model is
        // not self-preferring, and its own model may simply be the weaker one in the pairs it was given.
        return new SelfPreferenceBias(pairs, ownPreferred, Share(ownPreferred, pairs), AboveMargin(ownPreferred, pairs));
    }

    private static FormatBias AuditFormat(IReadOnlyList<PreferencePair> judgePairs)
    {
        var (pairs, formattedPreferred) = Contest(judgePairs, p =>
            Contrast(FormatFeatures.IsFormatted(p.ResponseA), FormatFeatures.IsFormatted(p.ResponseB)));
        return new FormatBias(pairs, formattedPreferred, Share(formattedPreferred, pairs), BeyondMargin(formattedPreferred, pairs));
    }

    /// <summary>
    /// Over the decisive pairs where exactly one side has a trait (<paramref name="aHasTrait"/> says whether it is
    /// A, or null when both or neither have it, which shows nothing), how many there are and how often that side won.
    /// </summary>
    private static (int Pairs, int TraitWon) Contest(IEnumerable<PreferencePair> judgePairs, Func<PreferencePair, bool?> aHasTrait)
    {
        int pairs = 0, won = 0;
        foreach (var pair in judgePairs.Where(p => p.IsDecisive))
        {
            if (aHasTrait(pair) is not { } aHas)
                continue;
            pairs++;
            if ((pair.Verdict == Preference.A) == aHas)
                won++;
        }
        return (pairs, won);
    }

    private static bool? Contrast(bool a, bool b) => a == b ? null : a;

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
