namespace SynthPref.Orchestration.Statistics;

/// <summary>
/// The Beta distribution's CDF (the regularised incomplete beta function I_x(a, b)) and its quantile, what the exact
/// binomial bound needs. The CDF is the continued fraction of Numerical Recipes (§6.4, modified Lentz), evaluated on
/// whichever side of the mean converges fast; the quantile is found by bisection, so it is as deterministic as the CDF
/// and never leaves [0, 1].
/// </summary>
public static class BetaDistribution
{
    /// <summary>I_x(a, b) = P(X ≤ x) for X ~ Beta(a, b), a and b positive.</summary>
    public static double Cdf(double x, double a, double b)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(a);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(b);
        if (double.IsNaN(x)) throw new ArgumentOutOfRangeException(nameof(x), x, "x is not a number.");
        if (x <= 0) return 0;
        if (x >= 1) return 1;
        // Exact where the integral has a closed form: I_x(a, 1) = x^a and I_x(1, b) = 1 − (1 − x)^b.
        if (b == 1) return Math.Pow(x, a);
        if (a == 1) return 1 - Math.Pow(1 - x, b);
        var front = Math.Exp(LogGamma(a + b) - LogGamma(a) - LogGamma(b) + a * Math.Log(x) + b * Math.Log(1 - x));
        return x < (a + 1) / (a + b + 2)
            ? front * ContinuedFraction(a, b, x) / a
            : 1 - front * ContinuedFraction(b, a, 1 - x) / b;
    }

    /// <summary>The <paramref name="p"/> quantile of Beta(a, b): the x with I_x(a, b) = p.</summary>
    public static double Quantile(double p, double a, double b)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(a);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(b);
        if (!(p is >= 0 and <= 1)) throw new ArgumentOutOfRangeException(nameof(p), p, "A probability is from 0 to 1.");
        if (p == 0) return 0;
        if (p == 1) return 1;
        if (b == 1) return Math.Pow(p, 1 / a);
        if (a == 1) return 1 - Math.Pow(1 - p, 1 / b);
        double low = 0, high = 1;
        // Bisection halves the bracket each step; it stops when the bracket can no longer be split in doubles.
        for (var step = 0; step < 200; step++)
        {
            var mid = low + (high - low) / 2;
            if (mid <= low || mid >= high) break;
            if (Cdf(mid, a, b) < p) low = mid;
            else high = mid;
        }
        return low + (high - low) / 2;
    }

    static double ContinuedFraction(double a, double b, double x)
    {
        const int MaxTerms = 10_000;
        const double Epsilon = 1e-15;
        const double Tiny = 1e-300;
        double sum = a + b, aPlus = a + 1, aMinus = a - 1;
        double c = 1, d = 1 - sum * x / aPlus;
        if (Math.Abs(d) < Tiny) d = Tiny;
        d = 1 / d;
        var h = d;
        for (var m = 1; m <= MaxTerms; m++)
        {
            var m2 = 2 * m;
            var even = m * (b - m) * x / ((aMinus + m2) * (a + m2));
            d = 1 + even * d;
            if (Math.Abs(d) < Tiny) d = Tiny;
            c = 1 + even / c;
            if (Math.Abs(c) < Tiny) c = Tiny;
            d = 1 / d;
            h *= d * c;
            var odd = -(a + m) * (sum + m) * x / ((a + m2) * (aPlus + m2));
            d = 1 + odd * d;
            if (Math.Abs(d) < Tiny) d = Tiny;
            c = 1 + odd / c;
            if (Math.Abs(c) < Tiny) c = Tiny;
            d = 1 / d;
            var delta = d * c;
            h *= delta;
            if (Math.Abs(delta - 1) < Epsilon) return h;
        }
        return h;
    }

    static readonly double[] Lanczos =
    [
        0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
        12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
    ];

    /// <summary>ln Γ(x) for x &gt; 0: the Lanczos approximation (g = 7, nine terms), good to about 15 digits.</summary>
    public static double LogGamma(double x)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(x);
        // Reflection keeps the series where it is accurate: Γ(x) Γ(1 − x) = π / sin(πx).
        if (x < 0.5) return Math.Log(Math.PI / Math.Sin(Math.PI * x)) - LogGamma(1 - x);
        x -= 1;
        var sum = Lanczos[0];
        for (var i = 1; i < Lanczos.Length; i++) sum += Lanczos[i] / (x + i);
        var t = x + 7.5;
        return 0.5 * Math.Log(2 * Math.PI) + (x + 0.5) * Math.Log(t) - t + Math.Log(sum);
    }
}

/// <summary>The exact (Clopper–Pearson) binomial confidence bound, one-sided.</summary>
public static class ClopperPearson
{
    /// <summary>The lower bound at confidence 1 − <paramref name="alpha"/> on the rate behind <paramref name="successes"/>
    /// of <paramref name="trials"/>: the alpha quantile of Beta(successes, trials − successes + 1), and 0 with no success.</summary>
    public static double Lower(int successes, int trials, double alpha)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(trials);
        ArgumentOutOfRangeException.ThrowIfNegative(successes);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(successes, trials);
        if (!(alpha is > 0 and < 1)) throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "alpha is between 0 and 1.");
        return successes == 0 ? 0 : BetaDistribution.Quantile(alpha, successes, trials - successes + 1);
    }
}
