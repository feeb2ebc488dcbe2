using SynthPref.Orchestration.Audit;
using SynthPref.Orchestration.Pairs;
using static SynthPref.Tests.Unit.PairFactory;

namespace SynthPref.Tests.Unit;

public class BiasAuditorTests
{
    private const string Short = "one two";
    private const string Long = "one two three four";

    [Fact]
    public void Length_counts_longer_winner_and_excludes_equal_length_and_non_decisive()
    {
        var pairs = new[]
        {
            Pair(Preference.A, responseA: Long, responseB: Short),           // longer wins
            Pair(Preference.B, responseA: Short, responseB: Long),           // longer wins
            Pair(Preference.A, responseA: Short, responseB: Long),           // shorter wins
            Pair(Preference.A, responseA: "a  b\tc", responseB: "x\ny z"),   // equal by whitespace split
            Pair(Preference.Tie, responseA: Long, responseB: Short),         // not decisive
            Pair(Preference.Unparseable, responseA: Long, responseB: Short), // not decisive
            Pair(Preference.A, responseA: Long, responseB: Short, source: PairSource.Revision), // not the judge
        };

        var length = BiasAuditor.Audit(pairs).Length;

        Assert.Equal(3, length.Decisive);
        Assert.Equal(2, length.LongerPreferred);
        Assert.Equal(1, length.EqualLength);
        Assert.Equal(2.0 / 3.0, length.Share!.Value, 10);
        Assert.True(length.Warning); // 0.667 is more than 0.15 from 0.5
    }

    [Theory]
    [InlineData(13, 7, false)] // 0.65: exactly at the margin is not a warning
    [InlineData(14, 6, true)]  // 0.70
    [InlineData(7, 13, false)] // 0.35
    [InlineData(6, 14, true)]  // 0.30: a judge that favours shorter texts is biased too
    public void Length_warning_fires_only_beyond_fifteen_points_either_way(int longerWins, int shorterWins, bool warning)
    {
        var pairs = Enumerable.Repeat(Pair(Preference.A, responseA: Long, responseB: Short), longerWins)
            .Concat(Enumerable.Repeat(Pair(Preference.B, responseA: Long, responseB: Short), shorterWins));

        var length = BiasAuditor.Audit(pairs).Length;

        Assert.Equal(longerWins + shorterWins, length.Decisive);
        Assert.Equal(warning, length.Warning);
    }

    [Fact]
    public void Length_share_is_null_and_no_warning_when_nothing_decisive()
    {
        var pairs = new[]
        {
            Pair(Preference.A, responseA: Short, responseB: "three four"),
            Pair(Preference.Tie, responseA: Long, responseB: Short),
        };

        var length = BiasAuditor.Audit(pairs).Length;

        Assert.Equal(0, length.Decisive);
        Assert.Equal(1, length.EqualLength);
        Assert.Null(length.Share);
        Assert.False(length.Warning);
    }

    [Fact]
    public void Position_rates_use_judge_pairs_and_every_individual_call()
    {
        var pairs = new[]
        {
            // Consistent: forward says first (A), swapped says second (B) - same text won both times.
            Pair(Preference.A, judgedBothOrders: true, forwardCall: Preference.A, swappedCall: Preference.B),
            // Inconsistent: first-shown text won both times.
            Pair(Preference.Tie, judgedBothOrders: true, positionInconsistent: true, forwardCall: Preference.A, swappedCall: Preference.A),
            // Single order: one call only.
            Pair(Preference.B, forwardCall: Preference.B),
            // Tie and unparseable calls are not positional preferences.
            Pair(Preference.A, judgedBothOrders: true, forwardCall: Preference.A, swappedCall: Preference.Unparseable),
            Pair(Preference.Tie, forwardCall: Preference.Tie),
            // Revision pairs never count.
            Pair(Preference.A, source: PairSource.Revision, judgedBothOrders: true, positionInconsistent: true,
                forwardCall: Preference.A, swappedCall: Preference.A),
        };

        var position = BiasAuditor.Audit(pairs).Position;

        Assert.Equal(3, position.PairsJudgedBothOrders);
        Assert.Equal(1, position.Inconsistent);
        Assert.Equal(1.0 / 3.0, position.InconsistentRate!.Value, 10);
        // Calls counted: A,B, A,A, B, A  => 4 of 6 were "first shown wins".
        Assert.Equal(4.0 / 6.0, position.FirstPreferredRate!.Value, 10);
    }

    [Fact]
    public void Position_rates_are_null_without_data()
    {
        var position = BiasAuditor.Audit([Pair(Preference.A)]).Position;

        Assert.Equal(0, position.PairsJudgedBothOrders);
        Assert.Equal(0, position.Inconsistent);
        Assert.Null(position.InconsistentRate);
        Assert.Null(position.FirstPreferredRate);
    }
}
