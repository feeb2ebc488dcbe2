using SynthPref.Orchestration.Audit;

namespace SynthPref.Tests.Unit;

public sealed class LogisticRegressionTests
{
    static IReadOnlyList<(int, bool)> Rows(params (int Difference, int AWins, int BWins)[] groups) =>
        groups.SelectMany(g => Enumerable.Repeat((g.Difference, true), g.AWins).Concat(Enumerable.Repeat((g.Difference, false), g.BWins))).ToList();

    [Fact]
    public void Centred_differences_give_the_closed_form_mle()
    {
        // d = +2 (A won 3 of 4) and d = −2 (A won 1 of 4): mean 0, s = 2, x = ±1. With one x per group the MLE fits each
        // group's share exactly: σ(β0 + β1) = 3/4 and σ(β0 − β1) = 1/4, so β0 = 0 and β1 = ln 3.
        var fit = LengthSlope.Fit(Rows((2, 3, 1), (-2, 1, 3)));

        Assert.Equal(Math.Log(3), fit.Slope!.Value, 9);
        Assert.Equal(0.5, fit.PreferenceAtEqualLength!.Value, 9);
        Assert.Null(fit.Unavailable);
    }

    [Fact]
    public void Differences_are_scaled_not_centred_so_the_intercept_is_at_equal_length()
    {
        // d = +3 (A won 3 of 4) and d = −1 (A won 1 of 4): mean 1, population s = 2, so x = 1.5 and −0.5.
        // β0 + 1.5·β1 = ln 3 and β0 − 0.5·β1 = −ln 3 give β1 = ln 3 and β0 = −½ ln 3,
        // so the preference for A at equal length is σ(−½ ln 3) = 1 / (1 + √3).
        var fit = LengthSlope.Fit(Rows((3, 3, 1), (-1, 1, 3)));

        Assert.Equal(Math.Log(3), fit.Slope!.Value, 9);
        Assert.Equal(1 / (1 + Math.Sqrt(3)), fit.PreferenceAtEqualLength!.Value, 9);
    }

    [Fact]
    public void Three_groups_match_the_score_equations()
    {
        // No closed form, so check the MLE's defining property: the score is zero, Σ(y − p) = 0 and Σ(y − p)·x = 0.
        var rows = Rows((4, 5, 1), (0, 2, 2), (-4, 2, 4));
        var fit = LengthSlope.Fit(rows);
        var mean = rows.Average(r => (double)r.Item1);
        var s = Math.Sqrt(rows.Sum(r => (r.Item1 - mean) * (r.Item1 - mean)) / rows.Count);
        var b0 = Math.Log(fit.PreferenceAtEqualLength!.Value / (1 - fit.PreferenceAtEqualLength.Value));
        double g0 = 0, g1 = 0;
        foreach (var (d, a) in rows)
        {
            var x = d / s;
            var r = (a ? 1 : 0) - LogisticRegression.Sigmoid(b0 + fit.Slope!.Value * x);
            g0 += r;
            g1 += r * x;
        }
        Assert.Equal(0, g0, 8);
        Assert.Equal(0, g1, 8);
        Assert.True(fit.Slope > 0);
    }

    [Fact]
    public void No_slope_when_every_difference_is_the_same()
    {
        var fit = LengthSlope.Fit(Rows((2, 3, 1)));
        Assert.Null(fit.Slope);
        Assert.Null(fit.PreferenceAtEqualLength);
        Assert.Contains("s = 0", fit.Unavailable);
    }

    [Theory]
    [InlineData(3, 0, 0, 2)] // A always wins where A is longer and never where shorter: separated
    [InlineData(3, 0, 1, 0)] // every outcome is A
    [InlineData(2, 1, 0, 0)] // one length difference only: s = 0
    public void No_slope_when_the_mle_does_not_exist(int aWinsLonger, int bWinsLonger, int aWinsShorter, int bWinsShorter)
    {
        var rows = Rows((2, aWinsLonger, bWinsLonger), (-2, aWinsShorter, bWinsShorter));
        var fit = LengthSlope.Fit(rows);
        Assert.Null(fit.Slope);
        Assert.False(string.IsNullOrEmpty(fit.Unavailable));
    }

    [Fact]
    public void Quasi_separation_at_a_shared_point_has_no_finite_slope_either()
    {
        // Every A win at x ≥ 0 and every B win at x ≤ 0, with both at 0: β1 → ∞.
        var fit = LengthSlope.Fit(Rows((2, 2, 0), (0, 1, 1), (-2, 0, 2)));
        Assert.Null(fit.Slope);
        Assert.Contains("separated", fit.Unavailable);
    }

    [Fact]
    public void No_rows_no_slope()
    {
        Assert.Contains("no decisive", LengthSlope.Fit([]).Unavailable);
    }
}
