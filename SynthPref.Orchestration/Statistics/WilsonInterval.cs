namespace SynthPref.Orchestration.Statistics;

/// <summary>
/// The Wilson score interval of a binomial rate, chosen over the normal approximation because review samples are small
/// and rates near 100% are common; it never leaves [0, 1] and is not degenerate at 0 or n successes. Every stage that
/// puts an interval on a share (the audit, review rounds, agreement, trust) takes it from here.
/// </summary>
public static class WilsonInterval
{
    /// <summary>Two-sided 95% normal quantile.</summary>
    public const double Z95 = 1.959964;

    public static double[] Of(int successes, int n, double z = Z95)
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

    /// <summary>The width of the 95% interval of <paramref name="successes"/> in <paramref name="n"/>, as the report
    /// prints it; with no observations the interval is [0, 1].</summary>
    public static double Width(int successes, int n)
    {
        if (n == 0) return 1;
        var ci = Of(successes, n);
        return ci[1] - ci[0];
    }

    /// <summary>The width of the 95% interval at rate <paramref name="rate"/> over <paramref name="n"/> observations, the
    /// rate held fixed: 2z·sqrt(p(1−p)n + z²/4) / (n + z²), which falls as n grows.</summary>
    public static double ProjectedWidth(double rate, long n)
    {
        const double z = Z95;
        return 2 * z * Math.Sqrt(rate * (1 - rate) * n + z * z / 4) / (n + z * z);
    }
}
