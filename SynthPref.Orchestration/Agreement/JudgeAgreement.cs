using SynthPref.Orchestration.Pairs;
using SynthPref.Orchestration.Judging;

namespace SynthPref.Orchestration.Agreement;

/// <summary>How often two judges gave the same final verdict, over the pairs where both gave a parseable one (a tie
/// counts as a verdict).</summary>
public sealed record JudgePairAgreement(string A, string B, int Pairs, int Agree, double? Rate);

public static class JudgeAgreement
{
    /// <summary>Every pair of judges, in panel order (a before b).</summary>
    public static IReadOnlyList<JudgePairAgreement> Pairwise(IReadOnlyList<string> judges, IEnumerable<PreferencePair> pairs)
    {
        ArgumentNullException.ThrowIfNull(judges);
        ArgumentNullException.ThrowIfNull(pairs);
        var verdicts = pairs.Where(p => p.Source == PairSource.Judge)
            .Select(p => p.JudgeVerdicts.ToDictionary(j => j.Name, j => j.Verdict, StringComparer.Ordinal))
            .ToList();
        var result = new List<JudgePairAgreement>();
        for (var i = 0; i < judges.Count; i++)
        {
            for (var k = i + 1; k < judges.Count; k++)
            {
                int both = 0, agree = 0;
                foreach (var byJudge in verdicts)
                {
                    if (!byJudge.TryGetValue(judges[i], out var a) || !byJudge.TryGetValue(judges[k], out var b)
                        || a == Preference.Unparseable || b == Preference.Unparseable)
                        continue;
                    both++;
                    if (a == b) agree++;
                }
                result.Add(new JudgePairAgreement(judges[i], judges[k], both, agree, both == 0 ? null : (double)agree / both));
            }
        }
        return result;
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
