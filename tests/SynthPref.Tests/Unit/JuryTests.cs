using SynthPref.Orchestration.Judging;
using static SynthPref.Orchestration.Judging.Preference;

namespace SynthPref.Tests.Unit;

public sealed class JuryTests
{
    [Theory]
    [InlineData(new[] { A }, A)]
    [InlineData(new[] { Unparseable }, Unparseable)]
    [InlineData(new[] { A, A, B }, A)]                  // 2 of 3
    [InlineData(new[] { A, B }, Tie)]                   // 1 of 2 is not more than half
    [InlineData(new[] { A, B, Tie }, Tie)]              // no label has a majority: a tie
    [InlineData(new[] { Tie, Tie, A }, Tie)]            // tie as the majority's own choice
    [InlineData(new[] { A, A, B, B }, Tie)]             // 2 of 4
    [InlineData(new[] { A, Unparseable, Unparseable }, A)] // only parseable verdicts count: 1 of 1
    [InlineData(new[] { A, B, Unparseable }, Tie)]      // 1 of 2 parseable
    [InlineData(new[] { B, B, A, Unparseable }, B)]     // 2 of 3 parseable
    [InlineData(new[] { Unparseable, Unparseable }, Unparseable)]
    public void The_majority_of_parseable_verdicts_wins_otherwise_a_tie(Preference[] verdicts, Preference expected)
    {
        Assert.Equal(expected, Jury.Majority(verdicts));
    }

    /// <summary>A judge that judged both orders (two calls, forward label as its verdict).</summary>
    static JudgeVerdict Juror(string name, Preference preference, Confidence? confidence, string reasoning, bool inconsistent = false) =>
        new(name, name + "-model", preference, confidence, reasoning, preference, VerdictCombiner.ToInputTerms(preference),
            JudgedBothOrders: true, inconsistent, Calls: 2, Structured: true);

    [Fact]
    public void One_judge_is_its_own_majority_field_for_field()
    {
        var only = Juror("default", B, Confidence.Medium, "because");

        var jury = Jury.Combine([only]);

        // The jury's verdict reads as its one judge's, under the jury's name.
        Assert.Equal(only with { Name = Jury.Name }, jury);
    }

    [Fact]
    public void A_jury_takes_the_lowest_confidence_and_first_reasoning_of_the_judges_that_voted_for_the_verdict()
    {
        var jury = Jury.Combine([
            Juror("x", B, Confidence.High, "x says B"),
            Juror("y", A, Confidence.High, "y says A", inconsistent: true),
            Juror("z", A, Confidence.Medium, "z says A"),
        ]);

        Assert.Equal(A, jury.Verdict);
        Assert.Equal(Confidence.Medium, jury.Confidence);
        Assert.Equal("y says A", jury.Reasoning);
        Assert.True(jury.PositionInconsistent);
        Assert.Equal(6, jury.Calls);
        Assert.Equal("x-model, y-model, z-model", jury.Model);
        // The first judge's positional labels stand for the pair's, for the position audit.
        Assert.Equal((B, A), (jury.Forward, jury.Swapped));
        Assert.True(jury.Structured);
    }

    [Fact]
    public void A_tie_for_want_of_a_majority_has_low_confidence_and_no_reasoning()
    {
        var jury = Jury.Combine([Juror("x", A, Confidence.High, "A"), Juror("y", B, Confidence.High, "B")]);

        Assert.Equal((Tie, Confidence.Low, (string?)null), (jury.Verdict, jury.Confidence, jury.Reasoning));
    }
}
