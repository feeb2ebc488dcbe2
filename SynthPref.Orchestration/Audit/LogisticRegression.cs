namespace SynthPref.Orchestration.Audit;

/// <summary>A fitted length slope, or why there is none.</summary>
public sealed record SlopeFit(double? Slope, double? PreferenceAtEqualLength, string? Unavailable);

/// <summary>
/// Unregularised maximum-likelihood logistic regression of a binary outcome on one predictor, with intercept:
/// P(y = 1) = σ(β0 + β1·x). Newton–Raphson on the (concave) log-likelihood, halving a step that would lower it.
/// The MLE exists exactly when the outcomes are not (quasi-)separated by x; when they are, β1 runs off to infinity,
/// and that is reported as the reason there is no slope rather than as a huge number.
/// </summary>
public static class LogisticRegression
{
    const int MaxIterations = 100;
    const double Tolerance = 1e-10;

    /// <summary>(β0, β1), or null with the reason in <paramref name="unavailable"/>.</summary>
    public static (double Intercept, double Slope)? Fit(IReadOnlyList<double> x, IReadOnlyList<bool> y, out string? unavailable)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        if (x.Count != y.Count) throw new ArgumentException("x and y must have the same length.");

        unavailable = null;
        var ones = y.Count(v => v);
        if (x.Count < 2)
        {
            unavailable = $"{x.Count} observation(s); a slope needs at least 2.";
            return null;
        }
        if (ones == 0 || ones == y.Count)
        {
            unavailable = $"every outcome is {(ones == 0 ? "0" : "1")}, so the maximum-likelihood intercept is infinite.";
            return null;
        }
        double max0 = double.MinValue, min0 = double.MaxValue, max1 = double.MinValue, min1 = double.MaxValue;
        for (var i = 0; i < x.Count; i++)
        {
            if (y[i]) { max1 = Math.Max(max1, x[i]); min1 = Math.Min(min1, x[i]); }
            else { max0 = Math.Max(max0, x[i]); min0 = Math.Min(min0, x[i]); }
        }
        if (max0 <= min1 || max1 <= min0)
        {
            unavailable = "the outcomes are separated by x (every 1 lies on one side of every 0), so the maximum-likelihood slope is infinite.";
            return null;
        }

        double b0 = 0, b1 = 0;
        var current = LogLikelihood(x, y, b0, b1);
        for (var iteration = 0; iteration < MaxIterations; iteration++)
        {
            double g0 = 0, g1 = 0, h00 = 0, h01 = 0, h11 = 0;
            for (var i = 0; i < x.Count; i++)
            {
                var p = Sigmoid(b0 + b1 * x[i]);
                var r = (y[i] ? 1 : 0) - p;
                var w = p * (1 - p);
                g0 += r;
                g1 += r * x[i];
                h00 += w;
                h01 += w * x[i];
                h11 += w * x[i] * x[i];
            }
            var det = h00 * h11 - h01 * h01;
            if (!(det > 0) || !double.IsFinite(det))
                break;
            var d0 = (h11 * g0 - h01 * g1) / det;
            var d1 = (h00 * g1 - h01 * g0) / det;

            var step = 1.0;
            double next0, next1, next;
            do
            {
                next0 = b0 + step * d0;
                next1 = b1 + step * d1;
                next = LogLikelihood(x, y, next0, next1);
                step /= 2;
            }
            while (next < current - 1e-12 && step > 1e-10);

            (b0, b1, current) = (next0, next1, next);
            if (Math.Max(Math.Abs(step * 2 * d0), Math.Abs(step * 2 * d1)) < Tolerance)
                return double.IsFinite(b0) && double.IsFinite(b1) ? (b0, b1) : Fail(out unavailable);
        }
        return Fail(out unavailable);

        static (double, double)? Fail(out string reason)
        {
            reason = $"the fit did not converge in {MaxIterations} Newton steps.";
            return null;
        }
    }

    public static double Sigmoid(double z) => z >= 0 ? 1 / (1 + Math.Exp(-z)) : Math.Exp(z) / (1 + Math.Exp(z));

    static double LogLikelihood(IReadOnlyList<double> x, IReadOnlyList<bool> y, double b0, double b1)
    {
        double sum = 0;
        for (var i = 0; i < x.Count; i++)
        {
            var z = b0 + b1 * x[i];
            // log(1 + e^z) without overflow.
            var softplus = z > 0 ? z + Math.Log(1 + Math.Exp(-z)) : Math.Log(1 + Math.Exp(z));
            sum += (y[i] ? z : 0) - softplus;
        }
        return sum;
    }
}

/// <summary>
/// The length slope: the logistic regression of y = 1 when the verdict is A (else 0) on
/// x = (words(A) − words(B)) / s, where s is the population standard deviation of words(A) − words(B) over the same
/// rows. x is scaled but not centred, so the intercept is the log-odds of A at equal length: the report gives
/// β1 as the slope (change in log-odds per standard deviation of length difference) and σ(β0) as the preference for A
/// when both responses are equally long.
/// </summary>
public static class LengthSlope
{
    /// <param name="rows">One row per decisive verdict: words(A) − words(B), and whether A won.</param>
    public static SlopeFit Fit(IReadOnlyList<(int Difference, bool AWon)> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Count == 0)
            return new SlopeFit(null, null, "no decisive verdicts.");
        // Exact in integers: s is 0 exactly when every difference is the same.
        if (rows.All(r => r.Difference == rows[0].Difference))
            return new SlopeFit(null, null, "s = 0: every pair has the same length difference, so x cannot be scaled.");
        var mean = rows.Average(r => (double)r.Difference);
        var s = Math.Sqrt(rows.Sum(r => (r.Difference - mean) * (r.Difference - mean)) / rows.Count);
        var fit = LogisticRegression.Fit(rows.Select(r => r.Difference / s).ToList(), rows.Select(r => r.AWon).ToList(), out var why);
        return fit is { } f
            ? new SlopeFit(f.Slope, LogisticRegression.Sigmoid(f.Intercept), null)
            : new SlopeFit(null, null, why);
    }
}
