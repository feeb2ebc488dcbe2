using SynthPref.Orchestration.Judging;
using SynthPref.Orchestration.Pairs;
using SynthPref.Orchestration.Reviews;
using SynthPref.Orchestration.Trust;

namespace SynthPref.Tests.Unit;

/// <summary>
/// The trust levels and the fixed-sequence walk, worked by hand. Calibration items by trust points (agree of items):
///   9: 10 of 10, 8: 8 of 10, 6: 1 of 5, 4: 40 of 40.
/// Cumulative from the top: ≥9 10 of 10, ≥8 18 of 20, ≥6 19 of 25, ≥4 59 of 65. Lower bounds at alpha 0.1 (the 0.1
/// quantile of Beta(agree, items − agree + 1)): 0.1^(1/10) = 0.7943, 0.7552, 0.6167, 0.8436. At target 0.75 the walk
/// accepts 9 and 8 and stops at 6; level 4 would pass on its own but comes after a failure, so it is not accepted.
/// </summary>
public sealed class TrustCalibrationTests
{
    static readonly (int, bool)[] Calibration =
    [
        .. Enumerable.Repeat((9, true), 10),
        .. Enumerable.Repeat((8, true), 8), .. Enumerable.Repeat((8, false), 2),
        (6, true), .. Enumerable.Repeat((6, false), 4),
        .. Enumerable.Repeat((4, true), 40),
    ];

    [Fact]
    public void Levels_are_cumulative_from_the_highest_with_their_exact_lower_bounds()
    {
        // Decisive judge pairs: 20 at 9, 30 at 8, 10 at 6, 40 at 4 (100 in all).
        int[] decisive = [.. Enumerable.Repeat(9, 20), .. Enumerable.Repeat(8, 30), .. Enumerable.Repeat(6, 10), .. Enumerable.Repeat(4, 40)];
        var levels = TrustCalibration.Levels(Calibration, decisive, target: 0.75, alpha: 0.1);

        Assert.Equal([9, 8, 6, 4], levels.Select(l => l.Points));
        Assert.Equal([10, 20, 25, 65], levels.Select(l => l.Items));
        Assert.Equal([10, 18, 19, 59], levels.Select(l => l.Agree));
        Assert.Equal([10, 10, 5, 40], levels.Select(l => l.ItemsAt));
        Assert.Equal([10, 8, 1, 40], levels.Select(l => l.AgreeAt));
        Assert.Equal([1, 0.9, 0.76, 59 / 65.0], levels.Select(l => l.Rate));
        Assert.Equal([0.7943, 0.7552, 0.6167, 0.8436], levels.Select(l => Math.Round(l.Lower, 4)));
        Assert.Equal([true, true, false, false], levels.Select(l => l.Accepted));
        Assert.Equal([20, 50, 60, 100], levels.Select(l => l.Pairs));
        Assert.Equal([0.2, 0.5, 0.6, 1.0], levels.Select(l => l.Coverage));
        Assert.Equal(8, TrustCalibration.Threshold(levels));
    }

    [Fact]
    public void A_level_that_would_pass_after_a_failing_one_is_not_accepted()
    {
        // At target 0.79, ≥9 passes (0.7943) and ≥8 fails (0.7552), so only 9 is accepted, though ≥4 (0.8436) would pass by itself.
        var levels = TrustCalibration.Levels(Calibration, [9, 4], target: 0.79, alpha: 0.1);
        Assert.Equal([true, false, false, false], levels.Select(l => l.Accepted));
        Assert.True(levels[3].Lower >= 0.79);
        Assert.Equal(9, TrustCalibration.Threshold(levels));
    }

    [Fact]
    public void When_the_highest_level_fails_there_is_no_threshold()
    {
        var levels = TrustCalibration.Levels(Calibration, [9], target: 0.8, alpha: 0.05);
        // 10 of 10 at alpha 0.05: 0.05^(1/10) = 0.7411 < 0.8.
        Assert.Equal(Math.Pow(0.05, 0.1), levels[0].Lower, 12);
        Assert.All(levels, l => Assert.False(l.Accepted));
        Assert.Null(TrustCalibration.Threshold(levels));
        Assert.Null(TrustCalibration.Threshold(TrustCalibration.Levels([], [3], 0.8, 0.1)));
        // A level with no agreement has lower bound 0.
        Assert.Equal(0, TrustCalibration.Levels([(3, false), (3, false)], [3], 0.5, 0.1)[0].Lower);
    }

    [Theory]
    [InlineData(new[] { Preference.A }, Preference.A)]
    [InlineData(new[] { Preference.A, Preference.B }, null)]
    [InlineData(new[] { Preference.A, Preference.A, Preference.B }, Preference.A)]
    [InlineData(new[] { Preference.A, Preference.B, Preference.Tie }, null)]
    [InlineData(new[] { Preference.Tie, Preference.Tie, Preference.B }, Preference.Tie)]
    [InlineData(new[] { Preference.B, Preference.B, Preference.A, Preference.A }, null)]
    public void The_majority_is_the_label_more_than_half_of_the_reviewers_chose(Preference[] labels, Preference? majority) =>
        Assert.Equal(majority, ReviewedPair.MajorityOf(labels));

    [Fact]
    public void Calibration_items_are_labelled_decisive_judge_pairs_of_the_first_round_and_no_majority_is_a_miss()
    {
        var pairs = new[]
        {
            Judge(0, Preference.A, 6), Judge(1, Preference.B, 4), Judge(2, Preference.Tie, null), Judge(3, Preference.A, 6),
            Judge(4, Preference.A, 2), PairFactory.Pair(Preference.A, source: PairSource.Revision, itemIndex: 5),
        };
        ReviewItem Item(int index, int round, bool flipped = false, PairSource source = PairSource.Judge) =>
            new("run-1", $"item-{index}-{source}", PreferencePair.KeyFor(index, source), flipped, Round: round);
        var items = new[] { Item(0, 1), Item(1, 1, flipped: true), Item(2, 1), Item(3, 1), Item(4, 2), Item(5, 1, source: PairSource.Revision) };
        var labels = new List<ReviewLabelRecord>
        {
            // Item 0: two of three say A (the verdict): agrees.
            Label("item-0-Judge", "r1", ReviewLabel.First), Label("item-0-Judge", "r2", ReviewLabel.First), Label("item-0-Judge", "r3", ReviewLabel.Second),
            // Item 1, shown B first: "first" is B, the verdict, for one; the other says A: no majority, a miss.
            Label("item-1-Judge", "r1", ReviewLabel.First), Label("item-1-Judge", "r2", ReviewLabel.Second),
            // Item 2 is a tie pair, item 4 of a later round, item 5 a revision pair: none is a calibration item.
            Label("item-2-Judge", "r1", ReviewLabel.First), Label("item-4-Judge", "r1", ReviewLabel.First),
            Label("item-5-Revision", "r1", ReviewLabel.First),
        };
        var reviewed = ReviewedPairs.Join(pairs, items, labels).Pairs;
        var calibration = TrustCalibration.CalibrationItems(reviewed);

        Assert.Equal([PreferencePair.KeyFor(0, PairSource.Judge), PreferencePair.KeyFor(1, PairSource.Judge)], calibration.Select(c => c.Pair.PairId));
        Assert.Equal([true, false], calibration.Select(c => c.Agrees));
        Assert.Equal([Preference.A, null], calibration.Select(c => c.Majority));
        // Item 3 was sampled but nobody labelled it, so it is no calibration item.
        Assert.DoesNotContain(reviewed, r => r.Pair.ItemIndex == 3);
    }

    [Fact]
    public void Escalation_takes_unlabelled_escalated_pairs_most_points_first_then_by_pair_id()
    {
        var pairs = new[]
        {
            Judge(0, Preference.A, 2), Judge(1, Preference.B, 5), Judge(2, Preference.A, 6), Judge(3, Preference.A, 5),
            Judge(4, Preference.Tie, null), Judge(5, Preference.B, 1), Judge(6, Preference.A, 5),
        };
        // Threshold 6: pair 2 is trusted; pair 6 has a label already; pair 4 is not decisive.
        var order = TrustCalibration.EscalationCandidates(pairs, 6, new HashSet<string> { PreferencePair.KeyFor(6, PairSource.Judge) });
        Assert.Equal([1, 3, 0, 5], order.Select(p => p.ItemIndex));
        // No threshold: every decisive judge pair is escalated.
        Assert.Equal([2, 1, 3, 6, 0, 5], TrustCalibration.EscalationCandidates(pairs, null, new HashSet<string>()).Select(p => p.ItemIndex));
    }

    [Fact]
    public void The_one_pass_tally_draws_the_escalation_round_as_the_whole_list_does()
    {
        var pairs = new[]
        {
            Judge(0, Preference.A, 2), Judge(1, Preference.B, 5), Judge(2, Preference.A, 6), Judge(3, Preference.A, 5),
            Judge(4, Preference.Tie, null), Judge(5, Preference.B, 1), Judge(6, Preference.A, 5),
        };
        var taken = new HashSet<string> { PreferencePair.KeyFor(6, PairSource.Judge) };
        var tally = new EscalationTally(keep: 3);
        foreach (var pair in pairs.Reverse()) tally.Add(pair, taken.Contains(pair.PairId));

        // Worked by hand: decisive judge pairs by points {1: 1, 2: 1, 5: 3, 6: 1}; under threshold 6, pairs 1, 3 (5 points),
        // 0 (2 points), 5 (1 point) are escalated and unsampled: four, of which the round takes the first three.
        Assert.Equal(new Dictionary<int, int> { [1] = 1, [2] = 1, [5] = 3, [6] = 1 }, tally.DecisivePoints);
        var (count, first) = tally.Candidates(6);
        Assert.Equal(4, count);
        Assert.Equal([PreferencePair.KeyFor(1, PairSource.Judge), PreferencePair.KeyFor(3, PairSource.Judge), PreferencePair.KeyFor(0, PairSource.Judge)],
            first);
        // No threshold: the five unsampled decisive pairs (pair 6 has its item).
        Assert.Equal((5, 3), (tally.Candidates(null).Count, tally.Candidates(null).First.Count));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void On_random_runs_the_tally_gives_the_candidates_and_levels_of_the_whole_list(int seed)
    {
        var random = new Random(seed);
        var pairs = Enumerable.Range(0, 400).Select(i => Judge(i, (Preference)random.Next(4), random.Next(5) == 0 ? null : random.Next(1, 7)))
            .OrderBy(_ => random.Next()).ToList();
        var taken = pairs.Where(_ => random.Next(4) == 0).Select(p => p.PairId).ToHashSet(StringComparer.Ordinal);
        var keep = random.Next(1, 60);
        var tally = new EscalationTally(keep);
        foreach (var pair in pairs) tally.Add(pair, taken.Contains(pair.PairId));

        var decisive = TrustCalibration.DecisiveJudgePairs(pairs).Select(p => p.TrustPoints!.Value).ToList();
        var calibration = decisive.Take(80).Select(p => (p, random.Next(3) > 0)).ToList();
        Assert.Equal(TrustCalibration.Levels(calibration, decisive, 0.6, 0.1), TrustCalibration.Levels(calibration, tally.DecisivePoints, 0.6, 0.1));
        foreach (int? threshold in new int?[] { null, 1, 3, 4, 6, 7 })
        {
            var whole = TrustCalibration.EscalationCandidates(pairs, threshold, taken);
            var (count, first) = tally.Candidates(threshold);
            Assert.Equal(whole.Count, count);
            Assert.Equal(whole.Take(keep).Select(p => p.PairId), first);
        }
    }

    internal static PreferencePair Judge(int index, Preference verdict, int? points, string category = "general") =>
        PairFactory.Pair(verdict, itemIndex: index, category: category, responseA: $"a{index}", responseB: $"b{index}") with { TrustPoints = points };

    internal static ReviewLabelRecord Label(string itemId, string reviewer, ReviewLabel label) =>
        new(itemId, reviewer, label, DateTimeOffset.UnixEpoch);
}
