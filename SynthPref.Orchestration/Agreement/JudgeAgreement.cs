using SynthPref.Orchestration.Judging;
using SynthPref.Orchestration.Pairs;

namespace SynthPref.Orchestration.Agreement;

/// <summary>How often two judges gave the same final verdict, over the pairs where both gave a parseable one (a tie
/// counts as a verdict).</summary>
public sealed record JudgePairAgreement(string A, string B, int Pairs, int Agree, double? Rate);

public static class JudgeAgreement
{
    /// <summary>Every pair of judges, in panel order (a before b).</summary>
    public static IReadOnlyList<JudgePairAgreement> Pairwise(IReadOnlyList<string> judges, IEnumerable<PreferencePair> pairs)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        var tally = new JudgePairTally(judges);
        foreach (var pair in pairs) tally.Add(pair);
        return tally.Result();
    }

    /// <summary>
    /// Agreement of each judge's own final verdict with the human votes on judge pairs. A vote on a pair the judge
    /// could not judge (unparseable) is left out of that judge's figures, as unparseable pairs are never sampled.
    /// </summary>
    public static IReadOnlyDictionary<string, AgreementStats> ByJudge(IReadOnlyList<string> judges,
        IEnumerable<(PreferencePair Pair, Preference Human)> votes)
    {
        ArgumentNullException.ThrowIfNull(judges);
        var onJudgePairs = votes.Where(v => v.Pair.Source == PairSource.Judge).ToList();
        var result = new SortedDictionary<string, AgreementStats>(StringComparer.Ordinal);
        foreach (var judge in judges)
        {
            var own = onJudgePairs
                .Select(v => (v.Pair.Category, v.Human, Judge: v.Pair.JudgeVerdicts.FirstOrDefault(j => j.Name == judge)?.Verdict))
                .Where(v => v.Judge is Preference.A or Preference.B or Preference.Tie)
                .Select(v => new Vote(v.Category, v.Human, v.Judge!.Value))
                .ToList();
            result[judge] = AgreementCalculator.Stats(own);
        }
        return result;
    }
}

/// <summary><see cref="JudgeAgreement.Pairwise"/> one pair at a time: for each two judges, how many judge pairs both gave
/// a parseable verdict on and how many of those verdicts were the same.</summary>
public sealed class JudgePairTally
{
    readonly IReadOnlyList<string> judges;
    readonly int[,] both;
    readonly int[,] agree;
    readonly Preference?[] verdicts;

    public JudgePairTally(IReadOnlyList<string> judges)
    {
        ArgumentNullException.ThrowIfNull(judges);
        this.judges = judges;
        both = new int[judges.Count, judges.Count];
        agree = new int[judges.Count, judges.Count];
        verdicts = new Preference?[judges.Count];
    }

    public void Add(PreferencePair pair)
    {
        ArgumentNullException.ThrowIfNull(pair);
        if (pair.Source != PairSource.Judge || judges.Count < 2) return;
        var own = pair.JudgeVerdicts;
        for (var i = 0; i < judges.Count; i++)
        {
            // A judge gives a pair one verdict under its name.
            verdicts[i] = own.FirstOrDefault(v => v.Name == judges[i])?.Verdict;
        }
        for (var i = 0; i < judges.Count; i++)
        {
            if (verdicts[i] is not { } a || a == Preference.Unparseable) continue;
            for (var k = i + 1; k < judges.Count; k++)
            {
                if (verdicts[k] is not { } b || b == Preference.Unparseable) continue;
                both[i, k]++;
                if (a == b) agree[i, k]++;
            }
        }
    }

    public IReadOnlyList<JudgePairAgreement> Result()
    {
        var result = new List<JudgePairAgreement>();
        for (var i = 0; i < judges.Count; i++)
            for (var k = i + 1; k < judges.Count; k++)
                result.Add(new JudgePairAgreement(judges[i], judges[k], both[i, k], agree[i, k], both[i, k] == 0 ? null : (double)agree[i, k] / both[i, k]));
        return result;
    }
}
