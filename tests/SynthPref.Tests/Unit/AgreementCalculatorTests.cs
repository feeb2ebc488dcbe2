using SynthPref.Orchestration.Agreement;
using SynthPref.Orchestration.Judging;
using SynthPref.Orchestration.Pairs;
using SynthPref.Orchestration.Statistics;

namespace SynthPref.Tests.Unit;

public class AgreementCalculatorTests
{
    const int Precision = 4; // 1e-4

    /*
     Hand-worked example (H = human, J = judge), z = 1.959964, z² = 3.841459.

       #  category  H    J    agree  both non-tie
       1  code      A    A    yes    yes
       2  code      B    B    yes    yes
       3  code      A    B    no     yes
       4  code      Tie  A    no     no
       5  code      B    B    yes    yes
       6  chat      A    A    yes    yes
       7  chat      A    A    yes    yes
       8  chat      B    A    no     yes
       9  chat      Tie  Tie  yes    no
      10  chat      A    A    yes    yes

     Overall: agree 7/10 = 0.7.
       Wilson(7,10): d = 1 + z²/10 = 1.384146 ; centre = (0.7 + z²/20)/d = 0.892073/1.384146 = 0.644493
                     half = z/d · sqrt(0.7·0.3/10 + z²/400) = 1.416010 · sqrt(0.030604) = 0.247715
                     → [0.396778, 0.892209]
       Excluding ties: votes 1,2,3,5,6,7,8,10 = 8 ; agree 1,2,5,6,7,10 = 6 → 0.75
       Kappa: H marginals A=5 B=3 Tie=2 ; J marginals A=6 B=3 Tie=1
              pe = (5·6 + 3·3 + 2·1)/100 = 41/100 = 0.41 ; po = 0.7
              κ = (0.7 − 0.41)/(1 − 0.41) = 0.29/0.59 = 0.491525

     code: agree 3/5 = 0.6.
       Wilson(3,5): d = 1 + z²/5 = 1.768292 ; centre = (0.6 + z²/10)/d = 0.984146/1.768292 = 0.556552
                    half = z/d · sqrt(0.6·0.4/5 + z²/100) = 1.108394 · sqrt(0.086415) = 0.325827
                    → [0.230724, 0.882379]
       Excluding ties: votes 1,2,3,5 = 4 ; agree 3 → 0.75
       Kappa: H A=2 B=2 Tie=1 ; J A=2 B=3 Tie=0 ; pe = (4 + 6 + 0)/25 = 0.4 ; κ = (0.6 − 0.4)/0.6 = 0.333333

     chat: agree 4/5 = 0.8.
       Wilson(4,5): centre = (0.8 + z²/10)/d = 1.184146/1.768292 = 0.669655
                    half = 1.108394 · sqrt(0.8·0.2/5 + z²/100) = 1.108394 · sqrt(0.070415) = 0.294121
                    → [0.375535, 0.963776]
       Excluding ties: votes 6,7,8,10 = 4 ; agree 3 → 0.75
       Kappa: H A=3 B=1 Tie=1 ; J A=4 B=0 Tie=1 ; pe = (12 + 0 + 1)/25 = 0.52 ; κ = (0.8 − 0.52)/0.48 = 0.583333

     MostDivergent, with minCategoryVotes 5 (both have 5 votes): code (0.6) before chat (0.8). Neither diverges
     significantly: code's upper bound .882379 is above the overall .7. With the default 10 neither is ranked.

     Confusion, rows = judge, columns = human (A, B, tie):
       judge A: human A = #1 #6 #7 #10 = 4, human B = #8 = 1, human tie = #4 = 1   → [4, 1, 1]
       judge B: human A = #3 = 1, human B = #2 #5 = 2, tie = 0                     → [1, 2, 0]
       judge tie: human tie = #9 = 1                                              → [0, 0, 1]
       Row sums are the judge's marginals (6, 3, 1), the diagonal 4 + 2 + 1 = 7 is the agreement.
    */
    static readonly Vote[] HandWorked =
    [
        new("code", Preference.A, Preference.A),
        new("code", Preference.B, Preference.B),
        new("code", Preference.A, Preference.B),
        new("code", Preference.Tie, Preference.A),
        new("code", Preference.B, Preference.B),
        new("chat", Preference.A, Preference.A),
        new("chat", Preference.A, Preference.A),
        new("chat", Preference.B, Preference.A),
        new("chat", Preference.Tie, Preference.Tie),
        new("chat", Preference.A, Preference.A),
    ];

    static void AssertStats(AgreementStats stats, int votes, int agree, double rate, double low, double high,
        int votesExTies, double rateExTies, double kappa)
    {
        Assert.Equal(votes, stats.Votes);
        Assert.Equal(agree, stats.Agree);
        Assert.Equal(rate, stats.Rate!.Value, Precision);
        Assert.NotNull(stats.Ci95);
        Assert.Equal(2, stats.Ci95!.Length);
        Assert.Equal(low, stats.Ci95[0], Precision);
        Assert.Equal(high, stats.Ci95[1], Precision);
        Assert.Equal(votesExTies, stats.VotesExcludingTies);
        Assert.Equal(rateExTies, stats.RateExcludingTies!.Value, Precision);
        Assert.Equal(kappa, stats.Kappa!.Value, Precision);
    }

    [Fact]
    public void Hand_worked_example_overall()
    {
        var report = AgreementCalculator.Compute(HandWorked);

        AssertStats(report.Overall, 10, 7, 0.7, 0.396778, 0.892209, 8, 0.75, 0.491525);
    }

    [Fact]
    public void Hand_worked_example_by_category_and_most_divergent()
    {
        var report = AgreementCalculator.Compute(HandWorked);

        Assert.Equal(["chat", "code"], report.ByCategory.Keys);
        AssertStats(report.ByCategory["code"], 5, 3, 0.6, 0.230724, 0.882379, 4, 0.75, 0.333333);
        AssertStats(report.ByCategory["chat"], 5, 4, 0.8, 0.375535, 0.963776, 4, 0.75, 0.583333);
        Assert.Equal(["code", "chat"], AgreementCalculator.Compute(HandWorked, minCategoryVotes: 5).MostDivergent.Select(c => c.Category));
        Assert.All(AgreementCalculator.Compute(HandWorked, minCategoryVotes: 5).MostDivergent, c => Assert.False(c.DivergesSignificantly));
    }

    [Fact]
    public void Hand_worked_example_confusion_matrix()
    {
        var confusion = AgreementCalculator.Compute(HandWorked).Confusion!;

        Assert.Equal(["A", "B", "tie"], confusion.Labels);
        Assert.Equal(("judge", "human"), (confusion.Rows, confusion.Columns));
        Assert.Equal([4, 1, 1], confusion.Counts[0]);
        Assert.Equal([1, 2, 0], confusion.Counts[1]);
        Assert.Equal([0, 0, 1], confusion.Counts[2]);
        Assert.Equal(10, confusion.Total);
    }

    [Fact]
    public void Categories_under_the_minimum_are_not_ranked_and_the_report_says_why()
    {
        // Default minimum 10: code and chat have 5 votes each, so nothing is ranked.
        var report = AgreementCalculator.Compute(HandWorked);

        Assert.Equal(10, report.MinCategoryVotes);
        Assert.Empty(report.MostDivergent);
        Assert.Equal([new CategoryVotes("chat", 5), new CategoryVotes("code", 5)], report.TooFewVotes);
        Assert.Equal("No category has the 10 votes needed to rank it (the most any has is 5), so 10 votes over 2 categories " +
                     "cannot say which categories the judge diverges on.", report.Ranking);
        Assert.Equal("No votes were cast, so no category can be ranked.", AgreementCalculator.Compute([]).Ranking);
    }

    /*
     Significance, hand-worked. "bad": 0 of 10 agree; "good": 20 of 20; "few": 0 of 3. Overall 20/33 = .606061.
       Wilson(0, 10): d = 1 + z²/10 = 1.384146, centre = (z²/20)/d = .192073/1.384146 = .138766,
                      half = z/d · sqrt(z²/400) = 1.416010 · .097998 = .138766 → [0, .277532].
       .277532 < .606061, so bad diverges significantly; good (rate 1) does not. few has 3 < 10 votes: not ranked.
    */
    [Fact]
    public void A_ranked_category_diverges_significantly_only_when_its_whole_interval_is_below_the_overall_rate()
    {
        var votes = Enumerable.Repeat(new Vote("bad", Preference.A, Preference.B), 10)
            .Concat(Enumerable.Repeat(new Vote("good", Preference.B, Preference.B), 20))
            .Concat(Enumerable.Repeat(new Vote("few", Preference.Tie, Preference.A), 3))
            .ToList();

        var report = AgreementCalculator.Compute(votes);

        Assert.Equal(["bad", "good"], report.MostDivergent.Select(c => c.Category));
        var bad = report.MostDivergent[0];
        Assert.Equal((10, 0, 0.0), (bad.Votes, bad.Agree, bad.Rate));
        Assert.Equal(0.277532, bad.Ci95[1], Precision);
        Assert.True(bad.DivergesSignificantly);
        Assert.False(report.MostDivergent[1].DivergesSignificantly);
        Assert.Equal([new CategoryVotes("few", 3)], report.TooFewVotes);
        Assert.Equal("2 of 3 categories have at least 10 votes and are ranked; 1 is significantly below the overall rate " +
                     "(the upper bound of the 95% interval is under it). 1 has too few votes to rank.", report.Ranking);
    }

    [Fact]
    public void Wilson_matches_known_value()
    {
        var ci = WilsonInterval.Of(8, 10);

        Assert.Equal(0.4902, ci[0], Precision);
        Assert.Equal(0.9433, ci[1], Precision);
    }

    [Fact]
    public void Wilson_stays_inside_unit_interval_at_the_extremes()
    {
        var none = WilsonInterval.Of(0, 4);
        var all = WilsonInterval.Of(5, 5);

        Assert.Equal(0.0, none[0]);
        Assert.Equal(0.489891, none[1], Precision);
        Assert.Equal(0.565518, all[0], Precision);
        Assert.Equal(1.0, all[1]);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(31)]
    public void Wilson_lower_bound_is_exactly_zero_when_nothing_agrees(int n)
    {
        // Computed naively, these n leave 5.6e-17, 2.8e-17, 2.8e-17 and 6.9e-18.
        Assert.Equal(0.0, WilsonInterval.Of(0, n)[0]);
    }

    [Theory]
    [InlineData(4)]
    [InlineData(10)]
    [InlineData(14)]
    public void Wilson_upper_bound_is_exactly_one_when_all_agree(int n)
    {
        // Computed naively, these n leave 0.9999999999999999.
        Assert.Equal(1.0, WilsonInterval.Of(n, n)[1]);
    }

    [Fact]
    public void Wilson_rejects_impossible_counts()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => WilsonInterval.Of(1, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => WilsonInterval.Of(3, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => WilsonInterval.Of(-1, 2));
    }

    [Fact]
    public void No_votes_gives_nulls_and_empty_categories()
    {
        var report = AgreementCalculator.Compute([]);

        Assert.Equal(0, report.Overall.Votes);
        Assert.Null(report.Overall.Rate);
        Assert.Null(report.Overall.Ci95);
        Assert.Null(report.Overall.RateExcludingTies);
        Assert.Null(report.Overall.Kappa);
        Assert.Empty(report.ByCategory);
        Assert.Empty(report.MostDivergent);
    }

    [Fact]
    public void Only_ties_leave_rate_excluding_ties_null()
    {
        var stats = AgreementCalculator.Compute([new Vote("x", Preference.Tie, Preference.A)]).Overall;

        Assert.Equal(0.0, stats.Rate);
        Assert.Equal(0, stats.VotesExcludingTies);
        Assert.Null(stats.RateExcludingTies);
    }

    [Fact]
    public void Kappa_is_one_when_both_raters_always_give_the_same_single_class()
    {
        // pe = 1 makes kappa 0/0; perfect agreement is reported as 1.0 rather than null.
        var stats = AgreementCalculator.Compute(
            [new Vote("x", Preference.A, Preference.A), new Vote("x", Preference.A, Preference.A)]).Overall;

        Assert.Equal(1.0, stats.Kappa);
    }

    [Fact]
    public void Kappa_is_negative_when_raters_systematically_disagree()
    {
        // H A,B ; J B,A: po = 0, pe = (1·1 + 1·1)/4 = 0.5, κ = −0.5/0.5 = −1.
        var stats = AgreementCalculator.Compute(
            [new Vote("x", Preference.A, Preference.B), new Vote("x", Preference.B, Preference.A)]).Overall;

        Assert.Equal(-1.0, stats.Kappa!.Value, Precision);
    }

    [Theory]
    [InlineData(Preference.Unparseable, Preference.A)]
    [InlineData(Preference.A, Preference.Unparseable)]
    public void Unparseable_votes_are_rejected(Preference human, Preference judge) =>
        Assert.Throws<ArgumentException>(() => AgreementCalculator.Compute([new Vote("x", human, judge)]));

    [Fact]
    public void Most_divergent_orders_by_rate_then_more_votes_then_name()
    {
        // Every category is ranked at a minimum of one vote.
        Vote Agree(string c) => new(c, Preference.A, Preference.A);
        Vote Disagree(string c) => new(c, Preference.A, Preference.B);

        var report = AgreementCalculator.Compute(
        [
            Agree("zeta"), Disagree("zeta"),                                   // 0.5, 2 votes
            Agree("big"), Agree("big"), Disagree("big"), Disagree("big"),      // 0.5, 4 votes
            Agree("alpha"), Disagree("alpha"),                                 // 0.5, 2 votes
            Disagree("worst"),                                                 // 0.0
            Agree("best"),                                                     // 1.0
        ], minCategoryVotes: 1);

        Assert.Equal(["worst", "big", "alpha", "zeta", "best"], report.MostDivergent.Select(c => c.Category));
    }
}
