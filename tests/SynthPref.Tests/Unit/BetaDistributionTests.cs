using SynthPref.Orchestration.Statistics;

namespace SynthPref.Tests.Unit;

/// <summary>The exact binomial bound and the Beta functions under it, against values worked by hand or known in closed
/// form. For whole a and b, I_p(k, n − k + 1) = P(Binomial(n, p) ≥ k), which is a finite sum.</summary>
public sealed class BetaDistributionTests
{
    [Theory]
    [InlineData(18, 20, 0.1, 0.7552)]
    [InlineData(18, 20, 0.05, 0.7174)]
    [InlineData(5, 5, 0.1, 0.6310)]
    [InlineData(4, 4, 0.1, 0.5623)]
    [InlineData(7, 8, 0.1, 0.5938)]
    [InlineData(7, 12, 0.1, 0.3623)]
    public void The_Clopper_Pearson_lower_bound_is_the_known_value(int agree, int items, double alpha, double expected) =>
        Assert.Equal(expected, ClopperPearson.Lower(agree, items, alpha), 4);

    [Fact]
    public void Every_success_gives_alpha_to_the_power_one_over_n_and_none_gives_zero()
    {
        // Beta(n, 1) has CDF x^n, so its alpha quantile is alpha^(1/n) exactly.
        Assert.Equal(Math.Pow(0.1, 1.0 / 5), ClopperPearson.Lower(5, 5, 0.1), 12);
        Assert.Equal(0, ClopperPearson.Lower(0, 5, 0.1));
        Assert.Equal(0, ClopperPearson.Lower(0, 1, 0.05));
    }

    [Fact]
    public void At_the_bound_the_chance_of_that_many_successes_or_more_is_alpha()
    {
        // P(Binomial(20, L) ≥ 18) = 0.1 is what the lower bound means.
        var bound = ClopperPearson.Lower(18, 20, 0.1);
        Assert.Equal(0.1, BinomialTail(20, 18, bound), 9);
        var strict = ClopperPearson.Lower(180, 200, 0.05);
        Assert.Equal(0.05, BinomialTail(200, 180, strict), 9);
    }

    [Fact]
    public void The_incomplete_beta_equals_the_binomial_sum_worked_by_hand()
    {
        // I_0.5(2, 3) = P(Binomial(4, 0.5) ≥ 2) = (6 + 4 + 1) / 16.
        Assert.Equal(11.0 / 16, BetaDistribution.Cdf(0.5, 2, 3), 14);
        // I_0.3(3, 2) = P(Binomial(4, 0.3) ≥ 3) = 4·0.3³·0.7 + 0.3⁴ = 0.0756 + 0.0081.
        Assert.Equal(0.0837, BetaDistribution.Cdf(0.3, 3, 2), 14);
        foreach (var (n, k, p) in new[] { (20, 18, 0.8), (50, 10, 0.3), (100, 61, 0.55), (12, 7, 0.9) })
            Assert.Equal(BinomialTail(n, k, p), BetaDistribution.Cdf(p, k, n - k + 1), 12);
    }

    [Fact]
    public void The_incomplete_beta_is_symmetric_and_the_quantile_inverts_it()
    {
        foreach (var (x, a, b) in new[] { (0.2, 2.5, 7.0), (0.7, 30.0, 4.0), (0.5, 0.5, 0.5), (0.95, 300.0, 20.0) })
        {
            Assert.Equal(1 - BetaDistribution.Cdf(1 - x, b, a), BetaDistribution.Cdf(x, a, b), 12);
            Assert.Equal(x, BetaDistribution.Quantile(BetaDistribution.Cdf(x, a, b), a, b), 10);
        }
        Assert.Equal(0, BetaDistribution.Cdf(0, 3, 4));
        Assert.Equal(1, BetaDistribution.Cdf(1, 3, 4));
    }

    [Fact]
    public void Log_gamma_is_the_log_of_the_factorial_and_of_root_pi()
    {
        Assert.Equal(Math.Log(24), BetaDistribution.LogGamma(5), 12);
        Assert.Equal(Math.Log(Math.Sqrt(Math.PI)), BetaDistribution.LogGamma(0.5), 12);
        Assert.Equal(Math.Log(3628800), BetaDistribution.LogGamma(11), 11);
    }

    static double BinomialTail(int n, int k, double p)
    {
        double sum = 0;
        for (var j = k; j <= n; j++)
            sum += Math.Exp(LogChoose(n, j) + j * Math.Log(p) + (n - j) * Math.Log(1 - p));
        return sum;
    }

    static double LogChoose(int n, int k)
    {
        double value = 0;
        for (var i = 1; i <= k; i++) value += Math.Log(n - k + i) - Math.Log(i);
        return value;
    }
}
