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

    private const string Judge = "gpt-4o-mini";
    private const string Bullets = "- one\n- two";

    [Fact]
    public void Self_preference_counts_decisive_judge_pairs_with_exactly_one_response_from_the_judge_model()
    {
        var pairs = new[]
        {
            Pair(Preference.A, modelA: "GPT-4o-mini-2024-07-18", modelB: "llama3", judgeModel: Judge), // own wins (snapshot, case)
            Pair(Preference.B, modelA: "llama3", modelB: "gpt-4o-mini", judgeModel: Judge),            // own wins
            Pair(Preference.B, modelA: "gpt-4o-mini", modelB: "llama3", judgeModel: Judge),            // other wins
            Pair(Preference.A, modelA: "gpt-4o-mini", modelB: "gpt-4o-mini", judgeModel: Judge),       // both own
            Pair(Preference.A, modelA: "llama3", modelB: "mistral", judgeModel: Judge),                // neither
            Pair(Preference.A, modelA: "gpt-4o-minix", modelB: "llama3", judgeModel: Judge),           // not the same model
            Pair(Preference.Tie, modelA: "gpt-4o-mini", modelB: "llama3", judgeModel: Judge),          // not decisive
            Pair(Preference.A, modelA: "gpt-4o-mini", modelB: "llama3", judgeModel: null),             // judge unknown
            Pair(Preference.A, modelA: "gpt-4o-mini", modelB: "llama3", judgeModel: Judge, source: PairSource.Revision),
        };

        var self = BiasAuditor.Audit(pairs).SelfPreference!;

        Assert.Equal(3, self.Pairs);
        Assert.Equal(2, self.OwnPreferred);
        Assert.Equal(2.0 / 3.0, self.Share!.Value, 10);
        Assert.True(self.Warning); // 0.667 > 0.65
    }

    [Theory]
    [InlineData(13, 7, false)] // 0.65: exactly at the margin is not a warning
    [InlineData(14, 6, true)]  // 0.70
    [InlineData(2, 18, false)] // 0.10: preferring the other model is not self-preference
    public void Self_preference_warning_is_one_sided_above_sixty_five_percent(int ownWins, int otherWins, bool warning)
    {
        var pairs = Enumerable.Repeat(Pair(Preference.A, modelA: Judge, modelB: "other", judgeModel: Judge), ownWins)
            .Concat(Enumerable.Repeat(Pair(Preference.B, modelA: Judge, modelB: "other", judgeModel: Judge), otherWins));

        var self = BiasAuditor.Audit(pairs).SelfPreference!;

        Assert.Equal(ownWins + otherWins, self.Pairs);
        Assert.Equal(ownWins, self.OwnPreferred);
        Assert.Equal(warning, self.Warning);
    }

    [Fact]
    public void Self_preference_and_format_share_are_null_without_data()
    {
        var report = BiasAuditor.Audit([Pair(Preference.A), Pair(Preference.Tie, responseA: Bullets)]);

        Assert.Equal(new SelfPreferenceBias(0, 0, null, false), report.SelfPreference);
        Assert.Equal(new FormatBias(0, 0, null, false), report.Format);
    }

    [Fact]
    public void Format_counts_decisive_judge_pairs_with_exactly_one_formatted_response()
    {
        var pairs = new[]
        {
            Pair(Preference.A, responseA: Bullets, responseB: "plain"),                    // formatted wins
            Pair(Preference.B, responseA: "plain", responseB: "# Title\nbody"),           // formatted wins
            Pair(Preference.B, responseA: "| a | b |", responseB: "plain"),                // plain wins
            Pair(Preference.A, responseA: "plain", responseB: "1. first\n2. second"),     // plain wins
            Pair(Preference.A, responseA: Bullets, responseB: "# Title"),                  // both formatted
            Pair(Preference.A, responseA: "- only one bullet", responseB: "plain"),        // neither
            Pair(Preference.Tie, responseA: Bullets, responseB: "plain"),                  // not decisive
            Pair(Preference.A, responseA: Bullets, responseB: "plain", source: PairSource.Revision),
        };

        var format = BiasAuditor.Audit(pairs).Format!;

        Assert.Equal(4, format.Pairs);
        Assert.Equal(2, format.FormattedPreferred);
        Assert.Equal(0.5, format.Share!.Value, 10);
        Assert.False(format.Warning);
    }

    [Theory]
    [InlineData(13, 7, false)] // 0.65: on the margin
    [InlineData(14, 6, true)]  // 0.70
    [InlineData(7, 13, false)] // 0.35
    [InlineData(6, 14, true)]  // 0.30: favouring plain text is a format bias too
    public void Format_warning_fires_only_beyond_fifteen_points_either_way(int formattedWins, int plainWins, bool warning)
    {
        var pairs = Enumerable.Repeat(Pair(Preference.A, responseA: Bullets, responseB: "plain"), formattedWins)
            .Concat(Enumerable.Repeat(Pair(Preference.B, responseA: Bullets, responseB: "plain"), plainWins));

        var format = BiasAuditor.Audit(pairs).Format!;

        Assert.Equal(formattedWins + plainWins, format.Pairs);
        Assert.Equal(warning, format.Warning);
    }
}
