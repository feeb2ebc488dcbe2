using SynthPref.Orchestration.Reviews;
using SynthPref.Orchestration.Statistics;

namespace SynthPref.Tests.Unit;

/*
 Hand-worked, z = 1.959964, z² = 3.841459. At a fixed rate p the Wilson interval over n votes is
 2z·sqrt(p(1−p)n + z²/4) / (n + z²) wide.
   p = 1 (every vote agreed): width = z²/(n + z²) ≤ 0.2 ⇔ n ≥ 4z² = 15.37 → 16 votes.
   p = ½ (no votes yet: the widest): width = z/sqrt(n + z²) ≤ 0.2 ⇔ n ≥ (z/0.2)² − z² = 96.04 − 3.84 = 92.19 → 93.
   p = .6 over 10 votes, target .3: at n = 37, 2z·sqrt(.24·37 + .96)/40.84 = .3014; at 38, .2978 → 38.
*/
public class ReviewRoundsTests
{
    [Fact]
    public void Votes_needed_follow_the_hand_worked_widths()
    {
        Assert.Equal(16, ReviewRounds.VotesNeeded(3, 3, 0.2));
        Assert.Equal(93, ReviewRounds.VotesNeeded(0, 0, 0.2));
        Assert.Equal(38, ReviewRounds.VotesNeeded(6, 10, 0.3));
        // Already narrow enough: what it has.
        Assert.Equal(100, ReviewRounds.VotesNeeded(50, 100, 0.2));
        // The projection at the votes a category has is its own interval's width.
        Assert.Equal(WilsonInterval.Width(6, 10), WilsonInterval.ProjectedWidth(0.6, 10), 12);
        Assert.Equal(1, WilsonInterval.Width(0, 0));
    }

    /*
     Three votes per item. a: 3 of 3 agree (width .5615 > .2) → 16 votes → 13 more → ⌈13/3⌉ = 5 items (10 left).
     b: no votes (width 1) → 93 votes → 31 items (40 left). c: 50 of 100 (width .1923) meets the target.
     Capped at 20: 5 and 31 of 36 → 100/36 = 2 r28, 620/36 = 17 r8 → 2 + 17 = 19, the last to a (r28) → 3 and 17.
    */
    [Fact]
    public void Each_category_wider_than_the_target_gets_the_items_its_interval_needs_capped_proportionally()
    {
        var categories = new[] { new CategoryTally("b", 0, 0, 40), new CategoryTally("a", 3, 3, 10), new CategoryTally("c", 100, 50, 30) };

        var plan = ReviewRounds.Plan(categories, 0.2, votesPerItem: 3, capLeft: null);
        Assert.Null(plan.StoppedBy);
        Assert.Equal(new Dictionary<string, int> { ["a"] = 5, ["b"] = 31 }, plan.Quotas);
        Assert.Equal(["a", "b"], plan.WiderThanTarget.Select(w => w.Category));
        Assert.Equal(0.5615, plan.WiderThanTarget[0].Width, 4);
        Assert.Equal(1, plan.WiderThanTarget[1].Width);

        var capped = ReviewRounds.Plan(categories, 0.2, votesPerItem: 3, capLeft: 20);
        Assert.Equal(new Dictionary<string, int> { ["a"] = 3, ["b"] = 17 }, capped.Quotas);
        Assert.Equal(20, capped.Quotas.Values.Sum());

        // A category with fewer items left than it needs takes what is left.
        var few = ReviewRounds.Plan([new CategoryTally("a", 3, 3, 2)], 0.2, 3, null);
        Assert.Equal(2, few.Quotas["a"]);
    }

    [Fact]
    public void Rounds_stop_when_every_category_meets_the_target_has_nothing_left_or_the_cap_is_reached()
    {
        Assert.Equal(RoundsStop.TargetsMet, ReviewRounds.Plan([new CategoryTally("c", 100, 50, 30)], 0.2, 3, null).StoppedBy);
        Assert.Equal(RoundsStop.NoItemsLeft, ReviewRounds.Plan([new CategoryTally("a", 3, 3, 0), new CategoryTally("c", 100, 50, 30)], 0.2, 3, null).StoppedBy);
        var full = ReviewRounds.Plan([new CategoryTally("a", 3, 3, 10)], 0.2, 3, capLeft: 0);
        Assert.Equal(RoundsStop.SampleLimit, full.StoppedBy);
        Assert.Empty(full.Quotas);
        // A category still too wide is listed with what it had, even when nothing is drawn.
        Assert.Equal(3, Assert.Single(full.WiderThanTarget).Votes);
    }
}
