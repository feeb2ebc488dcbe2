using SynthPref.Orchestration.Agreement;
using SynthPref.Orchestration.Judging;

namespace SynthPref.Tests.Unit;

public class HumanAgreementTests
{
    const int Precision = 6;
    const Preference A = Preference.A, B = Preference.B, T = Preference.Tie;

    /*
     Hand-worked example: five reviewed items (J = the judge's verdict, then each reviewer's label).

       item  J    reviewers   pairs of reviewers (agree?)                         excluding ties
       u1    A    A A B       (A,A) yes, (A,B) no, (A,B) no        → 3, 1 agree   3, 1 agree
       u2    B    B B         (B,B) yes                            → 1, 1 agree   1, 1 agree
       u3    tie  A tie       (A,tie) no                           → 1, 0 agree   left out
       u4    A    tie tie tie (tie,tie) yes ×3                     → 3, 3 agree   left out
       u5    A    A           one reviewer: no pair, and not in α  → left out

     Reviewers: 8 comparisons, 5 agree → .625; excluding ties 4 comparisons, 2 agree → .5. Items 4, labels 10.

     Krippendorff's α (nominal) over u1–u4. Per unit, (m² − Σ n_uc²)/(m − 1):
       u1: (9 − (4 + 1))/2 = 2 ; u2: (4 − 4)/1 = 0 ; u3: (4 − (1 + 1))/1 = 2 ; u4: (9 − 9)/2 = 0 → Σ = 4.
       n_A = 2 + 1 = 3, n_B = 1 + 2 = 3, n_tie = 1 + 3 = 4, n = 10 ; n² − Σ n_c² = 100 − (9 + 9 + 16) = 66.
       α = 1 − (n − 1) · 4 / 66 = 1 − 36/66 = 30/66 = .454545.
     (As a coincidence matrix: o_AA = 1, o_AB = o_BA = 1, o_BB = 2, o_A,tie = o_tie,A = 1, o_tie,tie = 3; rows sum to
      n_c = 3, 3, 4; off-diagonal 4 = observed; D_o/D_e = (4/10)/(66/90) = .545455.)

     Judge on the same items (u1–u4, one vote per label): u1 A vs A A B → 2 ; u2 B vs B B → 2 ; u3 tie vs A tie → 1 ;
       u4 A vs tie tie tie → 0 ⇒ 5 of 10 = .5. u5's vote is not on a shared item, so it is not counted here.
    */
    static readonly ItemLabels[] HandWorked =
    [
        new("x", A, [A, A, B]),
        new("x", B, [B, B]),
        new("y", T, [A, T]),
        new("y", A, [T, T, T]),
        new("y", A, [A]),
    ];

    [Fact]
    public void Hand_worked_example_pairwise_reviewer_agreement()
    {
        var humans = HumanAgreementCalculator.Compute(HandWorked);

        Assert.Equal((4, 10), (humans.Items, humans.Labels));
        Assert.Equal((8, 5), (humans.Comparisons, humans.Agree));
        Assert.Equal(0.625, humans.Rate!.Value, Precision);
        Assert.Equal((4, 2), (humans.ComparisonsExcludingTies, humans.AgreeExcludingTies));
        Assert.Equal(0.5, humans.RateExcludingTies!.Value, Precision);
    }

    [Fact]
    public void Hand_worked_example_krippendorffs_alpha()
    {
        Assert.Equal(30.0 / 66, HumanAgreementCalculator.Compute(HandWorked).KrippendorffAlpha!.Value, Precision);
    }

    [Fact]
    public void Hand_worked_example_judge_on_the_same_items()
    {
        var judge = HumanAgreementCalculator.Compute(HandWorked).JudgeOnSameItems;

        Assert.Equal((10, 5), (judge.Votes, judge.Agree));
        Assert.Equal(0.5, judge.Rate!.Value, Precision);
    }

    [Fact]
    public void Alpha_matches_krippendorffs_own_worked_example()
    {
        // Krippendorff, "Computing Krippendorff's Alpha-Reliability" (2011): four observers, twelve units, values 1–5
        // with gaps (0 here); nominal α = .743. Unit 12 has one value, so it is not pairable.
        int[][] observers =
        [
            [1, 2, 3, 3, 2, 1, 4, 1, 2, 0, 0, 0],
            [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, 0, 3],
            [0, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, 0],
            [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, 0],
        ];
        var units = Enumerable.Range(0, 12)
            .Select(u => (IReadOnlyList<int>)observers.Select(o => o[u]).Where(v => v != 0).ToList());

        Assert.Equal(0.743421, KrippendorffAlpha.Nominal(units)!.Value, 6);
    }

    [Fact]
    public void Alpha_is_null_without_a_pairable_item_and_one_when_every_label_is_the_same()
    {
        Assert.Null(KrippendorffAlpha.Nominal<Preference>([[A], [B]]));
        Assert.Equal(1.0, KrippendorffAlpha.Nominal<Preference>([[A, A], [A, A, A]]));
        // Every pair disagrees: each unit gives (4 − 2)/1 = 2, 4 in all; n = 4 and n² − Σ n_c² = 16 − 8 = 8 → α = 1 − 3·4/8 = −.5.
        Assert.Equal(-0.5, KrippendorffAlpha.Nominal<Preference>([[A, B], [A, B]])!.Value, Precision);
    }

    [Fact]
    public void No_shared_items_gives_zero_comparisons_and_nulls()
    {
        var humans = HumanAgreementCalculator.Compute([new ItemLabels("x", A, [A]), new ItemLabels("x", B, [A])]);

        Assert.Equal((0, 0, 0), (humans.Items, humans.Comparisons, humans.ComparisonsExcludingTies));
        Assert.Null(humans.Rate);
        Assert.Null(humans.RateExcludingTies);
        Assert.Null(humans.KrippendorffAlpha);
        Assert.Equal(0, humans.JudgeOnSameItems.Votes);
    }
}
