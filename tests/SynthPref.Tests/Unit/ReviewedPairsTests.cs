using SynthPref.Orchestration.Agreement;
using SynthPref.Orchestration.Pairs;
using SynthPref.Orchestration.Reviews;
using static SynthPref.Orchestration.Judging.Preference;

namespace SynthPref.Tests.Unit;

/// <summary>
/// The one join of labels to pairs, worked by hand. Pairs: 0 (A, "code"), 1 (B, "chat"), 2 (A, "code"). Items: 0 shown
/// as is (round 1), 1 shown B first (round 1), 2 shown as is (round 2), and an item whose pair is gone.
/// Labels as storage lists them: item-1 ann first (= B, agrees), item-1 bob tie, item-0 cat second (= B, disagrees),
/// item-2 ann first (= A, agrees), the lost item's label.
/// By category: code 1 of 2 agree, chat 1 of 2 (the tie is a vote that disagrees).
/// </summary>
public sealed class ReviewedPairsTests
{
    static readonly PreferencePair[] Pairs =
    [
        PairFactory.Pair(A, itemIndex: 0, category: "code"), PairFactory.Pair(B, itemIndex: 1, category: "chat"),
        PairFactory.Pair(A, itemIndex: 2, category: "code"),
    ];

    static readonly ReviewItem[] Items =
    [
        new("run-1", "item-a", Pairs[0].PairId, Flipped: false), new("run-1", "item-b", Pairs[1].PairId, Flipped: true),
        new("run-1", "item-c", Pairs[2].PairId, Flipped: false, Round: 2), new("run-1", "item-lost", "no-such-pair", Flipped: false),
    ];

    static readonly ReviewLabelRecord[] Labels =
    [
        Label("item-b", "bob", ReviewLabel.Tie), Label("item-b", "ann", ReviewLabel.First), Label("item-a", "cat", ReviewLabel.Second),
        Label("item-c", "ann", ReviewLabel.First), Label("item-lost", "ann", ReviewLabel.First),
    ];

    [Fact]
    public void Labels_keep_the_order_given_and_are_in_the_pairs_terms()
    {
        var joined = ReviewedPairs.Join(Pairs, Items, Labels);

        Assert.Equal([("bob", Tie, 1), ("ann", B, 1), ("cat", B, 0), ("ann", A, 2)],
            joined.Labels.Select(l => (l.Reviewer, l.Label, l.Pair.ItemIndex)));
        Assert.Equal([1, 1, 1, 2], joined.Labels.Select(l => l.Round));
    }

    [Fact]
    public void Pairs_are_in_item_order_with_labels_by_reviewer_and_their_majority()
    {
        var pairs = ReviewedPairs.Join(Pairs, Items, Labels).Pairs;

        Assert.Equal([0, 1, 2], pairs.Select(p => p.Pair.ItemIndex));
        Assert.Equal(["ann", "bob"], pairs[1].Labels.Select(l => l.Reviewer));
        Assert.Equal([B, null, A], pairs.Select(p => p.Majority));
        Assert.Equal([false, false, true], pairs.Select(p => p.Agrees));
    }

    [Fact]
    public void The_agreement_tally_of_the_join_is_the_hand_worked_one()
    {
        var byCategory = AgreementCalculator.ByCategory(AgreementCalculator.VotesOf(ReviewedPairs.Join(Pairs, Items, Labels).Labels));

        Assert.Equal(["chat", "code"], byCategory.Keys);
        Assert.Equal((2, 1), (byCategory["code"].Votes, byCategory["code"].Agree));
        Assert.Equal((2, 1), (byCategory["chat"].Votes, byCategory["chat"].Agree));
    }

    static ReviewLabelRecord Label(string itemId, string reviewer, ReviewLabel label) => new(itemId, reviewer, label, DateTimeOffset.UnixEpoch);
}
