using SynthPref.Orchestration.Judging;
using SynthPref.Orchestration.Pairs;
using static SynthPref.Orchestration.Pairs.Preference;

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

    static JurorVerdict Juror(string name, Preference preference, Confidence? confidence, string reasoning, bool inconsistent = false)
    {
        var call = new JudgeCall(preference, confidence, reasoning, "raw", 1);
        var verdict = new PairVerdict(preference, confidence, reasoning, JudgedBothOrders: true, inconsistent, call, call);
        return new JurorVerdict(new PanelJudge(name, "judge:" + name, name + "-model", new PairwiseJudge(new FakeChatClient(_ => ""))), verdict);
    }

    [Fact]
    public void One_judge_is_its_own_majority_field_for_field()
    {
        var only = Juror("default", B, Confidence.Medium, "because");

        var jury = Jury.Combine([only]);

        Assert.Equal((B, Confidence.Medium, "because", true, false, 2, "default-model"),
            (jury.Preference, jury.Confidence, jury.Reasoning, jury.JudgedBothOrders, jury.PositionInconsistent, jury.Calls, jury.JudgeModel));
        var stored = Assert.Single(jury.Judges);
        Assert.Equal(("default", B, Confidence.Medium, "because"), (stored.Name, stored.Verdict, stored.Confidence, stored.Reasoning));
    }

    [Fact]
    public void A_jury_takes_the_lowest_confidence_and_first_reasoning_of_the_judges_that_voted_for_the_verdict()
    {
        var jury = Jury.Combine([
            Juror("x", B, Confidence.High, "x says B"),
            Juror("y", A, Confidence.High, "y says A", inconsistent: true),
            Juror("z", A, Confidence.Medium, "z says A"),
        ]);

        Assert.Equal(A, jury.Preference);
        Assert.Equal(Confidence.Medium, jury.Confidence);
        Assert.Equal("y says A", jury.Reasoning);
        Assert.True(jury.PositionInconsistent);
        Assert.Equal(6, jury.Calls);
        Assert.Equal("x-model, y-model, z-model", jury.JudgeModel);
        Assert.Equal(["x", "y", "z"], jury.Judges.Select(j => j.Name));
        Assert.Equal([B, A, A], jury.Judges.Select(j => j.Verdict));
    }

    [Fact]
    public void A_tie_for_want_of_a_majority_has_low_confidence_and_no_reasoning()
    {
        var jury = Jury.Combine([Juror("x", A, Confidence.High, "A"), Juror("y", B, Confidence.High, "B")]);

        Assert.Equal((Tie, Confidence.Low, (string?)null), (jury.Preference, jury.Confidence, jury.Reasoning));
    }
}
