using SynthPref.Orchestration.Audit;
using SynthPref.Orchestration.Judging;
using SynthPref.Orchestration.Pairs;
using static SynthPref.Tests.Unit.PairFactory;

namespace SynthPref.Tests.Unit;

public class BiasAuditorTests
{
    const string Short = "one two";
    const string Long = "one two three four";

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
        // 0.667 is more than 0.15 from 0.5, but 3 pairs cannot support a warning.
        Assert.True(length.InsufficientData);
        Assert.False(length.Warning);
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

    const string Judge = "gpt-4o-mini";
    const string Bullets = "- one\n- two";

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
        // 0.667 > 0.65, but over 3 pairs: insufficient data instead of a warning.
        Assert.True(self.InsufficientData);
        Assert.False(self.Warning);
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

        Assert.Equal(new SelfPreferenceBias(0, 0, null, false, InsufficientData: true), report.SelfPreference);
        Assert.Equal(new FormatBias(0, 0, null, false, InsufficientData: true), report.Format);
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

    [Theory]
    // Wilson 95% intervals, worked by hand: p̂ = h/n, z = 1.959964,
    // centre = (p̂ + z²/2n)/(1 + z²/n), half = z/(1 + z²/n)·sqrt(p̂(1−p̂)/n + z²/4n²).
    [InlineData(14, 6, 0.4810, 0.8545, false)] // 0.70 over 20: the interval still holds 0.5
    [InlineData(18, 2, 0.6990, 0.9721, true)]  // 0.90 over 20: excludes 0.5
    [InlineData(2, 18, 0.0279, 0.3010, true)]  // 0.10: excludes 0.5 from below
    [InlineData(5, 5, 0.2366, 0.7634, false)]  // 10 pairs: just enough data
    public void Each_share_carries_its_wilson_interval_and_whether_it_excludes_one_half(int longerWins, int shorterWins,
        double low, double high, bool significant)
    {
        var pairs = Enumerable.Repeat(Pair(Preference.A, responseA: Long, responseB: Short), longerWins)
            .Concat(Enumerable.Repeat(Pair(Preference.B, responseA: Long, responseB: Short), shorterWins));

        var length = BiasAuditor.Audit(pairs).Length;

        Assert.Equal(low, length.Ci95![0], 4);
        Assert.Equal(high, length.Ci95[1], 4);
        Assert.Equal(significant, length.Significant);
        Assert.False(length.InsufficientData);
    }

    [Fact]
    public void Fewer_than_ten_pairs_say_insufficient_data_instead_of_warning_for_every_share()
    {
        // 9 of 9: far beyond the margin and significant ([70.1%, 100%]), yet too few to warn on.
        var pairs = Enumerable.Range(0, 9).Select(i => Pair(Preference.A, responseA: Bullets + " more words", responseB: "plain",
            modelA: Judge, modelB: "other", judgeModel: Judge, judgedBothOrders: true, forwardCall: Preference.A, swappedCall: Preference.B, itemIndex: i)).ToList();

        var report = BiasAuditor.Audit(pairs);

        Assert.True(report.Length.InsufficientData);
        Assert.False(report.Length.Warning);
        Assert.True(report.Length.Significant);
        Assert.True(report.SelfPreference.InsufficientData);
        Assert.False(report.SelfPreference.Warning);
        Assert.True(report.Format.InsufficientData);
        Assert.False(report.Format.Warning);
        // Position counts answers: 18 positional answers are enough.
        Assert.Equal(18, report.Position.DecisiveCalls);
        Assert.Equal(9, report.Position.FirstPreferred);
        Assert.False(report.Position.InsufficientData);
        Assert.False(report.Position.Significant);

        // The tenth pair makes it data, and the seed's check warns.
        pairs.Add(pairs[0] with { ItemIndex = 9 });
        report = BiasAuditor.Audit(pairs);
        Assert.True(report.Length.Warning);
        Assert.True(report.SelfPreference.Warning);
        Assert.True(report.Format.Warning);
    }

    [Fact]
    public void Length_slope_is_fitted_over_decisive_pairs_with_equal_lengths_included()
    {
        // words(A) − words(B) = +2 for four pairs (A won three) and −2 for four (A won one); s = 2, so x = ±1 and the
        // MLE solves σ(β0 + β1) = 3/4, σ(β0 − β1) = 1/4: β1 = ln 3, β0 = 0.
        var pairs = new List<PreferencePair>();
        void Add(int count, Preference verdict, string a, string b)
        {
            for (var i = 0; i < count; i++) pairs.Add(Pair(verdict, responseA: a, responseB: b, itemIndex: pairs.Count));
        }
        Add(3, Preference.A, "one two three", "one");
        Add(1, Preference.B, "one two three", "one");
        Add(1, Preference.A, "one", "one two three");
        Add(3, Preference.B, "one", "one two three");
        Add(2, Preference.Tie, "one two three", "one"); // not decisive: not a row

        var length = BiasAuditor.Audit(pairs).Length;

        Assert.Equal(8, length.SlopePairs);
        Assert.Equal(Math.Log(3), length.Slope!.Value, 9);
        Assert.Equal(0.5, length.PreferenceAtEqualLength!.Value, 9);
        Assert.Null(length.SlopeUnavailable);
    }

    [Fact]
    public void Length_slope_is_null_with_a_reason_when_every_pair_has_the_same_difference()
    {
        var length = BiasAuditor.Audit([Pair(Preference.A, responseA: Long, responseB: Short), Pair(Preference.B, responseA: Long, responseB: Short)]).Length;

        Assert.Null(length.Slope);
        Assert.Null(length.PreferenceAtEqualLength);
        Assert.Contains("s = 0", length.SlopeUnavailable);
    }

    [Fact]
    public void With_a_jury_self_preference_sets_each_judge_against_its_own_model()
    {
        JudgeVerdict Juror(string name, string model, Preference verdict) =>
            new(name, model, verdict, null, null, verdict, null, false, false, 1);
        // Judge "gpt" prefers A (its own model), judge "claude" prefers B (its own model): two own-preferred
        // observations on one pair; the pair's own verdict is a tie for want of a majority.
        var pair = Pair(Preference.Tie, modelA: "gpt-4o", modelB: "claude-3") with
        {
            Judges = [Juror("gpt", "gpt-4o", Preference.A), Juror("claude", "claude-3", Preference.B)],
        };
        var other = Pair(Preference.A, modelA: "gpt-4o", modelB: "llama", itemIndex: 1) with
        {
            Judges = [Juror("gpt", "gpt-4o", Preference.B), Juror("claude", "claude-3", Preference.A)],
        };

        var self = BiasAuditor.Audit([pair, other]).SelfPreference;

        // gpt on pair: own (A) won; claude on pair: own (B) won; gpt on other: own (A) lost; claude on other: no own model.
        Assert.Equal(3, self.Pairs);
        Assert.Equal(2, self.OwnPreferred);
    }

    [Fact]
    public void Human_baseline_maps_votes_to_a_and_b_and_sets_the_judge_beside_them_on_the_same_items()
    {
        var longA = Pair(Preference.A, responseA: Long, responseB: Short, itemIndex: 0);        // judge: longer
        var longB = Pair(Preference.A, responseA: Short, responseB: Long, itemIndex: 1);        // judge: shorter
        var equal = Pair(Preference.B, responseA: "a b", responseB: "c d", itemIndex: 2);       // judge: equal length
        var revision = Pair(Preference.A, responseA: Long, responseB: Short, itemIndex: 3, source: PairSource.Revision);
        var votes = new List<(PreferencePair, Preference)>
        {
            (longA, Preference.A), (longA, Preference.A), (longA, Preference.B), // 2 of 3 for the longer
            (longB, Preference.B), (longB, Preference.Tie),                      // 1 of 1 decisive for the longer
            (equal, Preference.A),                                               // decisive, equal length
            (revision, Preference.A),                                            // not a judge pair
        };

        var human = BiasAuditor.HumanBaseline(votes);

        Assert.Equal(5, human.Votes);
        Assert.Equal(4, human.UnequalLengthVotes);
        Assert.Equal(3, human.LongerPreferred);
        Assert.Equal(0.75, human.Share!.Value, 10);
        // The judge on the three reviewed judge pairs: decisive on all, unequal on two, longer preferred once.
        Assert.Equal(2, human.JudgeDecisive);
        Assert.Equal(1, human.JudgeLongerPreferred);
        Assert.Equal(0.5, human.JudgeShare!.Value, 10);
    }
}
