using SynthPref.Orchestration.Input;
using SynthPref.Orchestration.Judging;
using SynthPref.Orchestration.Pairs;

namespace SynthPref.Tests.Unit;

/// <summary>Trust points of a pair: the confidence points of every judge whose final verdict is the pair's.</summary>
public sealed class TrustPointsTests
{
    static JudgeVerdict Juror(string name, JudgeCall forward, JudgeCall? swapped) => VerdictCombiner.Combine(name, null, forward, swapped);

    static JudgeCall Call(Preference preference, Confidence? confidence) => new(new JudgeAnswer(preference, confidence, "r"), "raw", 1);

    /// <summary>The pair a lane stores from these judges' verdicts.</summary>
    static PreferencePair Pair(params JudgeVerdict[] judges) =>
        PreferencePair.Judged("run-unit", new InputItem(0, "i", "p", "c", "a", "b", null, null), judges);

    /// <summary>A judge's call in both orders, the swapped call in positional terms (B shown first), agreeing with forward.</summary>
    static JudgeVerdict Agreeing(string name, Preference preference, Confidence? confidence) =>
        Juror(name, Call(preference, confidence), Call(VerdictCombiner.ToInputTerms(preference), confidence));

    [Theory]
    [InlineData(Confidence.High, 3)]
    [InlineData(Confidence.Medium, 2)]
    [InlineData(Confidence.Low, 1)]
    [InlineData(null, 2)]
    public void One_judge_gives_its_confidence_points(Confidence? confidence, int points)
    {
        var jury = Pair(Agreeing("default", Preference.A, confidence));
        Assert.Equal(Preference.A, jury.Verdict);
        Assert.Equal(points, jury.TrustPoints);
        Assert.Equal(points, TrustPoints.ConfidencePoints(confidence));
    }

    [Fact]
    public void A_verdict_read_from_one_order_only_is_low_so_one_point()
    {
        var jury = Pair(Juror("default", Call(Preference.B, Confidence.High), Call(Preference.Unparseable, null)));
        Assert.Equal(Preference.B, jury.Verdict);
        Assert.Equal(Confidence.Low, jury.Confidence);
        Assert.Equal(1, jury.TrustPoints);
    }

    [Fact]
    public void A_unanimous_jury_adds_every_judges_points()
    {
        // High 3 + medium 2 + none stated 2.
        var jury = Pair(
            Agreeing("default", Preference.B, Confidence.High),
            Agreeing("alpha", Preference.B, Confidence.Medium),
            Agreeing("beta", Preference.B, null));
        Assert.Equal(Preference.B, jury.Verdict);
        Assert.Equal(7, jury.TrustPoints);
        Assert.Equal(9, TrustPoints.Max(3));
    }

    [Fact]
    public void In_a_split_jury_only_the_judges_of_the_verdict_count()
    {
        // A wins 2 to 1: the majority's high 3 + low 1; the dissenter's high confidence adds nothing, nor does a tie.
        var split = Pair(
            Agreeing("default", Preference.A, Confidence.High),
            Agreeing("alpha", Preference.B, Confidence.High),
            Agreeing("beta", Preference.A, Confidence.Low));
        Assert.Equal(Preference.A, split.Verdict);
        Assert.Equal(4, split.TrustPoints);

        // A judge that flips with the order ties (low); the pair is A by 2 of 3 and the tie adds 0.
        var withTie = Pair(
            Agreeing("default", Preference.A, Confidence.Medium),
            Juror("alpha", Call(Preference.A, Confidence.High), Call(Preference.A, Confidence.High)),
            Agreeing("beta", Preference.A, Confidence.Medium));
        Assert.Equal(Preference.Tie, withTie.Judges![1].Verdict);
        Assert.Equal(4, withTie.TrustPoints);
    }

    [Fact]
    public void Unparseable_judges_add_nothing_and_a_pair_that_is_not_decisive_has_no_points()
    {
        var garbage = Juror("alpha", Call(Preference.Unparseable, null), Call(Preference.Unparseable, null));
        var oneSure = Pair(Agreeing("default", Preference.A, Confidence.High), garbage);
        Assert.Equal(Preference.A, oneSure.Verdict);
        Assert.Equal(3, oneSure.TrustPoints);

        Assert.Null(Pair(garbage).TrustPoints);
        // No majority over A, B and tie: the pair is a tie, which has no trust points.
        Assert.Null(Pair(Agreeing("default", Preference.A, Confidence.High), Agreeing("alpha", Preference.B, Confidence.High)).TrustPoints);
        Assert.Null(TrustPoints.Of(Preference.Tie, []));
    }
}
