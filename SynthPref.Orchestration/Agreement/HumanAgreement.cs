using SynthPref.Orchestration.Judging;

namespace SynthPref.Orchestration.Agreement;

/// <summary>
/// Agreement between reviewers, over the items two or more of them labelled: every unordered pair of distinct
/// reviewers on one item is one comparison (as MT-Bench reports human–human agreement). ExcludingTies: the
/// comparisons where neither label is a tie. KrippendorffAlpha: nominal α over the same items. JudgeOnSameItems: the
/// judge against each human label on exactly those items, so the judge is set beside the ceiling on the same ground.
/// Comparisons on one item share their labels, so they are not independent and carry no interval.
/// </summary>
public sealed record HumanAgreement(
    int Items,
    int Labels,
    int Comparisons,
    int Agree,
    double? Rate,
    int ComparisonsExcludingTies,
    int AgreeExcludingTies,
    double? RateExcludingTies,
    double? KrippendorffAlpha,
    AgreementStats JudgeOnSameItems);

/// <summary>One reviewed item: its category, the judge's final verdict, and each distinct reviewer's label.</summary>
public sealed record ItemLabels(string Category, Preference Judge, IReadOnlyList<Preference> Humans);

public static class HumanAgreementCalculator
{
    public static HumanAgreement Compute(IEnumerable<ItemLabels> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        var shared = items.Where(i => i.Humans.Count >= 2).ToList();
        int comparisons = 0, agree = 0, decisive = 0, decisiveAgree = 0;
        foreach (var item in shared)
        {
            for (var i = 0; i < item.Humans.Count; i++)
            {
                for (var k = i + 1; k < item.Humans.Count; k++)
                {
                    var (a, b) = (item.Humans[i], item.Humans[k]);
                    comparisons++;
                    if (a == b) agree++;
                    if (a == Preference.Tie || b == Preference.Tie) continue;
                    decisive++;
                    if (a == b) decisiveAgree++;
                }
            }
        }
        var judge = shared.SelectMany(i => i.Humans.Select(h => new Vote(i.Category, h, i.Judge))).ToList();
        return new HumanAgreement(
            shared.Count,
            shared.Sum(i => i.Humans.Count),
            comparisons,
            agree,
            comparisons == 0 ? null : (double)agree / comparisons,
            decisive,
            decisiveAgree,
            decisive == 0 ? null : (double)decisiveAgree / decisive,
            KrippendorffAlpha.Nominal(shared.Select(i => i.Humans)),
            AgreementCalculator.Stats(judge));
    }
}

/// <summary>Krippendorff's α for nominal data, any number of coders per unit, missing labels allowed.</summary>
public static class KrippendorffAlpha
{
    /// <summary>
    /// Over the pairable units (two or more values), with n_uc the values c among the m_u values of unit u,
    /// n_c = Σ_u n_uc and n = Σ_c n_c: α = 1 − (n − 1) · Σ_u (m_u² − Σ_c n_uc²) / (m_u − 1) / (n² − Σ_c n_c²), which is
    /// 1 − D_o / D_e written with the coincidence matrix summed out. Null when no unit is pairable. When every value is
    /// the same class, D_o and D_e are both 0; as with κ we then report 1.0, since the coders did agree perfectly.
    /// </summary>
    public static double? Nominal<T>(IEnumerable<IReadOnlyList<T>> units) where T : notnull
    {
        ArgumentNullException.ThrowIfNull(units);
        var totals = new Dictionary<T, long>();
        double observed = 0;
        long n = 0;
        foreach (var unit in units)
        {
            if (unit.Count < 2) continue;
            long m = unit.Count, sameSquares = 0;
            foreach (var group in unit.GroupBy(v => v))
            {
                long count = group.Count();
                sameSquares += count * count;
                totals[group.Key] = totals.GetValueOrDefault(group.Key) + count;
            }
            observed += (double)(m * m - sameSquares) / (m - 1);
            n += m;
        }
        if (n == 0) return null;
        // Integer counts, so "no variation at all" is found exactly.
        long expectedPairs = n * n - totals.Values.Sum(c => c * c);
        if (expectedPairs == 0) return 1.0;
        return 1 - (n - 1) * observed / expectedPairs;
    }
}
