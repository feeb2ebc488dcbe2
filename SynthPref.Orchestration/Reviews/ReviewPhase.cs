using System.Text.Json.Serialization;

namespace SynthPref.Orchestration.Reviews;

public enum ReviewPhaseStatus { Open, Closed }

/// <summary>Why the review phase ended, spelled as runs store it, the API shows it and report.json writes it.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ReviewEnd>))]
public enum ReviewEnd
{
    /// <summary>Every sampled item of the last round has its reviewers.</summary>
    [JsonStringEnumMemberName("complete")] Complete,

    /// <summary>Someone closed the phase (or closed it before it opened, which skips review).</summary>
    [JsonStringEnumMemberName("closed")] Closed,

    /// <summary>The run's reviewDeadline passed.</summary>
    [JsonStringEnumMemberName("deadline")] Deadline,

    /// <summary>No pair could be sampled (none has a parseable verdict), so the phase never opened.</summary>
    [JsonStringEnumMemberName("nothing-to-review")] NothingToReview,
}

/// <summary>The run's review phase as stored: the truth labels are checked against. Round: the latest sampling round,
/// for phases opened by runs that take review in rounds (orchestration version 2.0 on); null for phases of older runs,
/// whose completion signal carries no round. Adaptive: the run's targetCiWidth and maxReviewSampleSize, and why its
/// rounds stopped; null without a target. ItemsStartCounted: the item rows were written with a reviewer count of 0
/// (phases opened before that have rows without one). EscalationRound: the round that sent people the pairs under the
/// trust threshold, once it is drawn.</summary>
public sealed record ReviewPhase(ReviewPhaseStatus Status, ReviewEnd? EndedBy, int SampledItems, int MinReviewsPerItem, DateTimeOffset? Deadline,
    int MaxReviewersPerItem, int? Round, AdaptiveReview? Adaptive, bool ItemsStartCounted, int? EscalationRound)
{
    /// <summary>For phases opened before the limit was stored with them.</summary>
    public const int DefaultMaxReviewersPerItem = 50;
}

/// <summary>How a phase opens: the label rules, the deadline, whether it counts rounds (see <see cref="ReviewPhase.Round"/>),
/// and the adaptive target, if any.</summary>
public sealed record ReviewOpening(int MinReviewsPerItem, DateTimeOffset Deadline, int MaxReviewersPerItem, bool Rounds, AdaptiveReview? Adaptive);

/// <summary>The phase as closing left it, and whether this close ended an open phase (rather than finding it
/// closed already, or closing it before it opened).</summary>
sealed record ReviewClosing(ReviewPhase Phase, bool ClosedOpenPhase);
