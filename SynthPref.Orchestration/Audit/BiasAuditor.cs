using SynthPref.Orchestration.Pairs;
using SynthPref.Orchestration.Statistics;
using SynthPref.Orchestration.Judging;

namespace SynthPref.Orchestration.Audit;

/// <summary>
/// Looks for four known LLM-judge biases in the judge pairs of a run: length, position, self-preference and
/// list/format. Revision pairs are excluded because their verdict is fixed by construction ("revised wins") and
/// says nothing about the judge.
/// The length and format warnings fire when the longer (formatted) text wins more than 65% or fewer than 35% of
/// the decisive pairs that differ in it: either direction means that trait, not content, is steering the verdict.
/// Under <see cref="MinPairs"/> observations a share says insufficientData instead of warning.
/// </summary>
public static class BiasAuditor
{
    /// <summary>Fewer observations than this cannot support a warning.</summary>
    public const int MinPairs = 10;

    public static BiasReport Audit(IEnumerable<PreferencePair> pairs)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        var judgePairs = pairs.Where(p => p.Source == PairSource.Judge).ToList();
        return new BiasReport(AuditLength(judgePairs), AuditPosition(judgePairs),
            AuditSelfPreference(judgePairs), AuditFormat(judgePairs));
    }

    public static int WordCount(string? text) =>
        text is null ? 0 : text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;

    /// <summary>The 95% Wilson interval of hits/n, whether it excludes one half, and whether n is too small to warn.</summary>
    public static (double[]? Ci95, bool Significant, bool InsufficientData) Test(int hits, int n)
    {
        if (n == 0) return (null, false, true);
        var ci = WilsonInterval.Of(hits, n);
        return (ci, ci[0] > 0.5 || ci[1] < 0.5, n < MinPairs);
    }

    private static LengthBias AuditLength(IReadOnlyList<PreferencePair> judgePairs)
    {
        // Equal-length pairs carry no signal about length preference, so they must not dilute the share.
        var equal = judgePairs.Count(p => p.IsDecisive && WordCount(p.ResponseA) == WordCount(p.ResponseB));
        var (decisive, longerPreferred) = Contest(judgePairs, p =>
        {
            int wordsA = WordCount(p.ResponseA), wordsB = WordCount(p.ResponseB);
            return wordsA == wordsB ? null : wordsA > wordsB;
        });
        var (ci, significant, insufficient) = Test(longerPreferred, decisive);
        // The slope keeps equal lengths: they are the rows that pin down the preference at equal length.
        var rows = judgePairs.Where(p => p.IsDecisive)
            .Select(p => (WordCount(p.ResponseA) - WordCount(p.ResponseB), p.Verdict == Preference.A)).ToList();
        var slope = LengthSlope.Fit(rows);
        return new LengthBias(decisive, longerPreferred, equal, Share(longerPreferred, decisive),
            !insufficient && BeyondMargin(longerPreferred, decisive), ci, significant, insufficient,
            slope.Slope, slope.PreferenceAtEqualLength, slope.Unavailable, rows.Count);
    }

    /// <summary>
    /// The reviewers' length baseline: one row per decisive human vote on a judge pair (Human already in A/B terms),
    /// and the judge's share over the distinct pairs those votes are on.
    /// </summary>
    public static HumanLengthBaseline HumanBaseline(IReadOnlyList<(PreferencePair Pair, Preference Human)> votes)
    {
        ArgumentNullException.ThrowIfNull(votes);
        var decisive = votes.Where(v => v.Pair.Source == PairSource.Judge && v.Human is Preference.A or Preference.B).ToList();
        int unequal = 0, longer = 0;
        foreach (var (pair, human) in decisive)
        {
            int wordsA = WordCount(pair.ResponseA), wordsB = WordCount(pair.ResponseB);
            if (wordsA == wordsB) continue;
            unequal++;
            if ((human == Preference.A) == (wordsA > wordsB)) longer++;
        }
        var slope = LengthSlope.Fit(decisive.Select(v => (WordCount(v.Pair.ResponseA) - WordCount(v.Pair.ResponseB), v.Human == Preference.A)).ToList());
        var reviewed = decisive.Select(v => v.Pair).DistinctBy(p => p.PairId).ToList();
        var (judgeDecisive, judgeLonger) = Contest(reviewed, p =>
        {
            int wordsA = WordCount(p.ResponseA), wordsB = WordCount(p.ResponseB);
            return wordsA == wordsB ? null : wordsA > wordsB;
        });
        return new HumanLengthBaseline(decisive.Count, unequal, longer, Share(longer, unequal), Test(longer, unequal).Ci95,
            slope.Slope, slope.PreferenceAtEqualLength, slope.Unavailable, judgeDecisive, judgeLonger, Share(judgeLonger, judgeDecisive));
    }

    /// <summary>Each judge against its own model: with a jury, one observation per (pair, judge).</summary>
    private static SelfPreferenceBias AuditSelfPreference(IReadOnlyList<PreferencePair> judgePairs)
    {
        int pairs = 0, ownPreferred = 0;
        foreach (var pair in judgePairs)
        {
            foreach (var judge in pair.JudgeVerdicts.Where(j => j.Verdict is Preference.A or Preference.B))
            {
                if (Contrast(ModelNames.SameModel(pair.ModelA, judge.Model), ModelNames.SameModel(pair.ModelB, judge.Model)) is not { } aIsOwn)
                    continue;
                pairs++;
                if ((judge.Verdict == Preference.A) == aIsOwn)
                    ownPreferred++;
            }
        }

        // One-sided on purpose: favouring its own outputs is the bias; a judge that prefers the other model is
        // not self-preferring, and its own model may simply be the weaker one in the pairs it was given.
        var (ci, significant, insufficient) = Test(ownPreferred, pairs);
        return new SelfPreferenceBias(pairs, ownPreferred, Share(ownPreferred, pairs), !insufficient && AboveMargin(ownPreferred, pairs),
            ci, significant, insufficient);
    }

    private static FormatBias AuditFormat(IReadOnlyList<PreferencePair> judgePairs)
    {
        var (pairs, formattedPreferred) = Contest(judgePairs, p =>
            Contrast(FormatFeatures.IsFormatted(p.ResponseA), FormatFeatures.IsFormatted(p.ResponseB)));
        var (ci, significant, insufficient) = Test(formattedPreferred, pairs);
        return new FormatBias(pairs, formattedPreferred, Share(formattedPreferred, pairs), !insufficient && BeyondMargin(formattedPreferred, pairs),
            ci, significant, insufficient);
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

    /// <summary>Each judge's answers on each pair; a single judge's are the pair's own.</summary>
    private static PositionBias AuditPosition(IReadOnlyList<PreferencePair> judgePairs)
    {
        var verdicts = judgePairs.SelectMany(p => p.JudgeVerdicts).ToList();
        int bothOrders = verdicts.Count(v => v.JudgedBothOrders);
        int inconsistent = verdicts.Count(v => v.JudgedBothOrders && v.PositionInconsistent);

        // Each positional call is an independent observation of "did the first-shown text win",
        // which also captures single-order pairs that the inconsistency rate cannot see.
        int calls = 0, firstWon = 0;
        foreach (var verdict in verdicts)
        {
            foreach (var call in new[] { verdict.Forward, verdict.Swapped })
            {
                if (call is not (Preference.A or Preference.B))
                    continue;
                calls++;
                if (call == Preference.A)
                    firstWon++;
            }
        }

        var (ci, significant, insufficient) = Test(firstWon, calls);
        return new PositionBias(
            bothOrders,
            inconsistent,
            bothOrders == 0 ? null : (double)inconsistent / bothOrders,
            calls == 0 ? null : (double)firstWon / calls,
            calls, firstWon, ci, significant, insufficient);
    }
}
