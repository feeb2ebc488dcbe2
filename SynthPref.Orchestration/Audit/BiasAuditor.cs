using SynthPref.Orchestration.Judging;
using SynthPref.Orchestration.Pairs;
using SynthPref.Orchestration.Statistics;

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
        var tally = new BiasTally();
        foreach (var pair in pairs) tally.Add(pair);
        return tally.Report();
    }

    /// <summary>The audit in one streaming pass: what it keeps is counters and the slope's rows (8 bytes a decisive pair).</summary>
    public static async Task<BiasReport> AuditAsync(IAsyncEnumerable<PreferencePair> pairs, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        var tally = new BiasTally();
        await foreach (var pair in pairs.WithCancellation(ct)) tally.Add(pair);
        return tally.Report();
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

    /// <summary>
    /// Over the decisive pairs where exactly one side has a trait (<paramref name="aHasTrait"/> says whether it is
    /// A, or null when both or neither have it, which shows nothing), how many there are and how often that side won.
    /// </summary>
    static (int Pairs, int TraitWon) Contest(IEnumerable<PreferencePair> judgePairs, Func<PreferencePair, bool?> aHasTrait)
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

    internal static bool? Contrast(bool a, bool b) => a == b ? null : a;

    internal static double? Share(int hits, int total) => total == 0 ? null : (double)hits / total;

    // hits/total − 0.5 scaled by 20·total, so the 0.15 margin becomes 3·total and the comparison stays in integers:
    // in doubles 13/20 − 0.5 lands just above 0.15 and would flag a share sitting exactly on the margin.
    static long ScaledDistanceFromHalf(int hits, int total) => 20L * hits - 10L * total;

    /// <summary>|hits/total − 0.5| &gt; 0.15, exactly; false without data.</summary>
    internal static bool BeyondMargin(int hits, int total) =>
        total > 0 && Math.Abs(ScaledDistanceFromHalf(hits, total)) > 3L * total;

    /// <summary>hits/total &gt; 0.65, exactly; false without data.</summary>
    internal static bool AboveMargin(int hits, int total) =>
        total > 0 && ScaledDistanceFromHalf(hits, total) > 3L * total;
}

/// <summary>
/// The audit's counters, fed one pair at a time (revision pairs are skipped), so a run of any size is audited in one
/// pass: length (with the slope's rows in storage order, so the fit sums exactly as over a list), position per judge,
/// self-preference per judge and format.
/// </summary>
public sealed class BiasTally
{
    int equalLength, lengthDecisive, longerPreferred;
    readonly List<(int Difference, bool AWon)> slopeRows = [];
    int bothOrders, inconsistent, calls, firstWon;
    int selfPairs, ownPreferred;
    int formatPairs, formattedPreferred;

    public void Add(PreferencePair pair)
    {
        ArgumentNullException.ThrowIfNull(pair);
        if (pair.Source != PairSource.Judge) return;
        var aWon = pair.Verdict == Preference.A;
        if (pair.IsDecisive)
        {
            int wordsA = BiasAuditor.WordCount(pair.ResponseA), wordsB = BiasAuditor.WordCount(pair.ResponseB);
            // Equal-length pairs carry no signal about length preference, so they must not dilute the share; the slope
            // keeps them: they are the rows that pin down the preference at equal length.
            if (wordsA == wordsB) equalLength++;
            else
            {
                lengthDecisive++;
                if (aWon == wordsA > wordsB) longerPreferred++;
            }
            slopeRows.Add((wordsA - wordsB, aWon));
            if (BiasAuditor.Contrast(FormatFeatures.IsFormatted(pair.ResponseA), FormatFeatures.IsFormatted(pair.ResponseB)) is { } aFormatted)
            {
                formatPairs++;
                if (aWon == aFormatted) formattedPreferred++;
            }
        }

        foreach (var judge in pair.JudgeVerdicts)
        {
            // Position: each positional call is an independent observation of "did the first-shown text win", which also
            // captures single-order pairs that the inconsistency rate cannot see.
            if (judge.JudgedBothOrders)
            {
                bothOrders++;
                if (judge.PositionInconsistent) inconsistent++;
            }
            foreach (var call in new[] { judge.Forward, judge.Swapped })
            {
                if (call is not (Preference.A or Preference.B)) continue;
                calls++;
                if (call == Preference.A) firstWon++;
            }
            // Self-preference: each judge against its own model, one observation per (pair, judge).
            if (judge.Verdict is not (Preference.A or Preference.B)) continue;
            if (BiasAuditor.Contrast(ModelNames.SameModel(pair.ModelA, judge.Model), ModelNames.SameModel(pair.ModelB, judge.Model)) is not { } aIsOwn)
                continue;
            selfPairs++;
            if ((judge.Verdict == Preference.A) == aIsOwn) ownPreferred++;
        }
    }

    public BiasReport Report()
    {
        var (lengthCi, lengthSignificant, lengthInsufficient) = BiasAuditor.Test(longerPreferred, lengthDecisive);
        var slope = LengthSlope.Fit(slopeRows);
        var length = new LengthBias(lengthDecisive, longerPreferred, equalLength, BiasAuditor.Share(longerPreferred, lengthDecisive),
            !lengthInsufficient && BiasAuditor.BeyondMargin(longerPreferred, lengthDecisive), lengthCi, lengthSignificant, lengthInsufficient,
            slope.Slope, slope.PreferenceAtEqualLength, slope.Unavailable, slopeRows.Count);

        var (positionCi, positionSignificant, positionInsufficient) = BiasAuditor.Test(firstWon, calls);
        var position = new PositionBias(bothOrders, inconsistent, bothOrders == 0 ? null : (double)inconsistent / bothOrders,
            calls == 0 ? null : (double)firstWon / calls, calls, firstWon, positionCi, positionSignificant, positionInsufficient);

        // One-sided on purpose: favouring its own outputs is the bias; a judge that prefers the other model is not
        // self-preferring, and its own model may simply be the weaker one in the pairs it was given.
        var (selfCi, selfSignificant, selfInsufficient) = BiasAuditor.Test(ownPreferred, selfPairs);
        var self = new SelfPreferenceBias(selfPairs, ownPreferred, BiasAuditor.Share(ownPreferred, selfPairs),
            !selfInsufficient && BiasAuditor.AboveMargin(ownPreferred, selfPairs), selfCi, selfSignificant, selfInsufficient);

        var (formatCi, formatSignificant, formatInsufficient) = BiasAuditor.Test(formattedPreferred, formatPairs);
        var format = new FormatBias(formatPairs, formattedPreferred, BiasAuditor.Share(formattedPreferred, formatPairs),
            !formatInsufficient && BiasAuditor.BeyondMargin(formattedPreferred, formatPairs), formatCi, formatSignificant, formatInsufficient);
        return new BiasReport(length, position, self, format);
    }
}
