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
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] EscalationDraw? Escalation = null)
{
    /// <summary>Round <paramref name="round"/>'s record from the items it drew, counted by their pairs' categories.</summary>
    public static ReviewRound Of(int round, IReadOnlyList<ReviewItem> drawn, Func<ReviewItem, string> categoryOf,
        IReadOnlyList<CategoryInterval>? wide = null, EscalationDraw? escalation = null) =>
        new(round, drawn.Count,
            new SortedDictionary<string, int>(drawn.GroupBy(categoryOf).ToDictionary(g => g.Key, g => g.Count()), StringComparer.Ordinal),
            wide, escalation);
}

/// <summary>What the escalation round was drawn from: the trust threshold when it was drawn (null: no level was
/// accepted, so every decisive judge pair was escalated), the escalated pairs no reviewer had labelled, and how many of
/// them it drew (at most maxEscalatedReviews, most trust points first).</summary>
public sealed record EscalationDraw(int? Threshold, int EscalatedUnreviewed, int Drawn);

/// <summary>A category's judge–human agreement when a round was planned: its votes, agreements, the width of their
/// 95% Wilson interval (1 with no votes), and how many items the round drew for it.</summary>
public sealed record CategoryInterval(string Category, int Votes, int Agree, double Width, int Drawn);

/// <summary>Why no further round was drawn, spelled as runs store it and report.json writes it.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<RoundsStop>))]
public enum RoundsStop
{
    /// <summary>Every category's interval is at most the target.</summary>
    [JsonStringEnumMemberName("targets-met")] TargetsMet,

    /// <summary>The categories still too wide have no unsampled item left.</summary>
    [JsonStringEnumMemberName("no-items-left")] NoItemsLeft,

    /// <summary>maxReviewSampleSize items are sampled.</summary>
    [JsonStringEnumMemberName("max-review-sample-size")] SampleLimit,

    /// <summary>No escalation round: every escalated pair already has a label (or none is escalated).</summary>
    [JsonStringEnumMemberName("nothing-to-escalate")] NothingToEscalate,
}

/// <summary>What a run with adaptive review asked for, and why its rounds stopped (<see cref="RoundsStop.TargetsMet"/>,
/// <see cref="RoundsStop.NoItemsLeft"/> or <see cref="RoundsStop.SampleLimit"/>); null while rounds may still come (or
/// the phase ended by close or deadline first).</summary>
public sealed record AdaptiveReview(double TargetCiWidth, int? MaxReviewSampleSize, RoundsStop? StoppedBy);

/// <summary>What opening the phase came to. ClosedEarly: the phase was closed before it could open, so the run skips
/// review. No item sampled: nothing to review.</summary>
public sealed record ReviewOpened(int SampledItems, bool ClosedEarly);

/// <summary>What asking for the next round came to. AllReviewed: storage agrees that every item of round Round and
/// before has its reviewers (false for a signal that ran ahead of storage: the run waits on). Added: items drawn for
/// round Round (0 when rounds stopped, StoppedBy saying why, or the phase closed meanwhile). SampledItems: items over
/// all rounds.</summary>
public sealed record ReviewRoundResult(bool AllReviewed, int Round, int Added, int SampledItems, RoundsStop? StoppedBy);
