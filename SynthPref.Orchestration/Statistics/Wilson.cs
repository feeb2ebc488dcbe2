namespace SynthPref.Orchestration.Statistics;

/// <summary>The Wilson score interval of a proportion: the audit's shares, the agreement rates, the review rounds'
/// targets and the judges' reliability all use it.</summary>
public static class Wilson
{
    /// <summary>Two-sided 95% normal quantile.</summary>
    public const double Z95 = 1.959964;

    /// <summary>
    /// Wilson score interval, chosen over the normal approximation because review samples are small
    /// and rates near 100% are common; it never leaves [0, 1] and is not degenerate at 0 or n successes.
    /// </summary>
    public static double[] Interval(int successes, int n, double z = Z95)
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
}
