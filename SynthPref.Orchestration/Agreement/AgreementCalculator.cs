using SynthPref.Orchestration.Pairs;

namespace SynthPref.Orchestration.Agreement;

/// <summary>Judge–human agreement: raw rate with a Wilson interval, the rate ignoring ties, and Cohen's kappa.</summary>
public static class AgreementCalculator
{
    /// <summary>Two-sided 95% normal quantile.</summary>
    public const double Z95 = 1.959964;

    static readonly Preference[] Classes = [Preference.A, Preference.B, Preference.Tie];

    public static AgreementReport Compute(IEnumerable<Vote> votes)
    {
        ArgumentNullException.ThrowIfNull(votes);
        var list = votes.ToList();
        foreach (var vote in list)
        {
            // An unparseable judge verdict or a missing human label is not a class either rater chose;
            // counting it would silently distort both the rate and kappa, so callers must filter first.
            if (vote.Human == Preference.Unparseable || vote.Judge == Preference.Unparseable)
                throw new ArgumentException($"Vote in category '{vote.Category}' has an Unparseable label.", nameof(votes));
        }

        var byCategory = new SortedDictionary<string, AgreementStats>(StringComparer.Ordinal);
        foreach (var group in list.GroupBy(v => v.Category, StringComparer.Ordinal))
            byCategory[group.Key] = Stats(group.ToList());

        var mostDivergent = byCategory
            .Where(kv => kv.Value.Votes > 0)
            .OrderBy(kv => kv.Value.Rate)
            .ThenByDescending(kv => kv.Value.Votes)
            .ThenBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => kv.Key)
            .ToList();

        return new AgreementReport(Stats(list), byCategory, mostDivergent);
    }

    public static AgreementStats Stats(IReadOnlyCollection<Vote> votes)
    {
        int n = votes.Count;
        int agree = votes.Count(v => v.Human == v.Judge);
        var decisive = votes.Where(v => v.Human != Preference.Tie && v.Judge != Preference.Tie).ToList();
        int decisiveAgree = decisive.Count(v => v.Human == v.Judge);

        return new AgreementStats(
            n,
            agree,
            n == 0 ? null : (double)agree / n,
            n == 0 ? null : Wilson(agree, n),
            decisive.Count,
            decisive.Count == 0 ? null : (double)decisiveAgree / decisive.Count,
            Kappa(votes));
    }

    /// <summary>
    /// Wilson score interval, chosen over the normal approximation because review samples are small
    /// and rates near 100% are common; it never leaves [0, 1] and is not degenerate at 0 or n successes.
    /// </summary>
    public static double[] Wilson(int successes, int n, double z = Z95)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(n);
        ArgumentOutOfRangeException.ThrowIfNegative(successes);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(successes, n);

        double p = (double)successes / n;
        double z2 = z * z;
        double denominator = 1 + z2 / n;
        double centre = (p + z2 / (2 * n)) / denominator;
        double half = z / denominator * Math.Sqrt(p * (1 - p) / n + z2 / (4.0 * n * n));
        // At 0 or n successes the bound is exactly 0 or 1 (centre and half are equal), but rounding leaves
        // residues such as 2.8e-17 that would print as a bound that is not there.
        return [successes == 0 ? 0 : Math.Max(0, centre - half), successes == n ? 1 : Math.Min(1, centre + half)];
    }

    /// <summary>
    /// Cohen's kappa over A/B/Tie with judge and human as the two raters. Expected agreement is 1 only when
    /// both raters used one and the same class for every vote; kappa is then 0/0, and we report 1.0 because
    /// the raters did agree perfectly and a null would read as "no data" in the report.
    /// </summary>
    public static double? Kappa(IReadOnlyCollection<Vote> votes)
    {
        long n = votes.Count;
        if (n == 0)
            return null;

        long agree = votes.Count(v => v.Human == v.Judge);
        // Work in integer counts so the perfect-chance case is detected exactly, not within float noise.
        long chanceNumerator = 0;
        foreach (var cls in Classes)
            chanceNumerator += (long)votes.Count(v => v.Human == cls) * votes.Count(v => v.Judge == cls);

        long nSquared = n * n;
        if (chanceNumerator == nSquared)
            return agree == n ? 1.0 : null;

        double po = (double)agree / n;
        double pe = (double)chanceNumerator / nSquared;
        return (po - pe) / (1 - pe);
    }
}
