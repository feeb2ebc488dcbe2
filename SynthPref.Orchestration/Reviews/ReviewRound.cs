using System.Text.Json.Serialization;

namespace SynthPref.Orchestration.Reviews;

/// <summary>
/// One round of review sampling as stored beside the run's items: how many items it added, how many per category, and
/// for an adaptive round, the categories whose 95% Wilson interval was wider than the target when it was drawn.
/// Escalation: set on the one round that sends people the pairs under the run's trust threshold (absent from the
/// report's rounds otherwise, so runs without trustTarget report them as before).
/// </summary>
public sealed record ReviewRound(int Round, int SampledItems, IReadOnlyDictionary<string, int> ByCategory,
    IReadOnlyList<CategoryInterval>? WiderThanTarget = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] EscalationDraw? Escalation = null);

/// <summary>What the escalation round was drawn from: the trust threshold when it was drawn (null: no level was
/// accepted, so every decisive judge pair was escalated), the escalated pairs no reviewer had labelled, and how many of
/// them it drew (at most maxEscalatedReviews, most trust points first).</summary>
public sealed record EscalationDraw(int? Threshold, int EscalatedUnreviewed, int Drawn);

/// <summary>A category's judge–human agreement when a round was planned: its votes, agreements, the width of their
/// 95% Wilson interval (1 with no votes), and how many items the round drew for it.</summary>
public sealed record CategoryInterval(string Category, int Votes, int Agree, double Width, int Drawn);

/// <summary>What a run with adaptive review asked for, and why its rounds stopped: <see cref="TargetsMet"/>,
/// <see cref="NoItemsLeft"/> or <see cref="SampleLimit"/>; null while rounds may still come (or the phase ended by close
/// or deadline first).</summary>
public sealed record AdaptiveReview(double TargetCiWidth, int? MaxReviewSampleSize, string? StoppedBy)
{
    /// <summary>Every category's interval is at most the target.</summary>
    public const string TargetsMet = "targets-met";

    /// <summary>The categories still too wide have no unsampled item left.</summary>
    public const string NoItemsLeft = "no-items-left";

    /// <summary>maxReviewSampleSize items are sampled.</summary>
    public const string SampleLimit = "max-review-sample-size";
}
