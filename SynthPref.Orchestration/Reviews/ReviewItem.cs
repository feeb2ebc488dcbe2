using SynthPref.Orchestration.Judging;
using SynthPref.Orchestration.Pairs;

namespace SynthPref.Orchestration.Reviews;

/// <summary>A sampled pair as reviewers see it. Flipped = the pair's B text is shown first. Reviewers counts the
/// distinct people who labelled it; Closed once the phase ended, after which no label is taken. Round: the sampling
/// round that drew it (1 for the first sample).</summary>
public sealed record ReviewItem(string RunId, string ItemId, string PairId, bool Flipped, int Reviewers = 0, bool Closed = false, int Round = 1)
{
    /// <summary>A reviewer's label on the order shown, in the pair's own A/B terms.</summary>
    public Preference InPairTerms(ReviewLabel label) => label switch
    {
        ReviewLabel.Tie => Preference.Tie,
        ReviewLabel.First => Flipped ? Preference.B : Preference.A,
        _ => Flipped ? Preference.A : Preference.B,
    };
}

/// <summary>What a reviewer chose, on the order the item was shown in.</summary>
public enum ReviewLabel { First, Second, Tie }

public sealed record ReviewLabelRecord(string ItemId, string Reviewer, ReviewLabel Label, DateTimeOffset SubmittedAt);
