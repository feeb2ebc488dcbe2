using SynthPref.Orchestration.Workflow;

namespace SynthPref.Orchestration.Runs;

/// <summary>A run as its start left it. ReviewToken is known only to the call that created the run: storage keeps
/// only its hash, so a repeated start (the same upload seen again) has none.</summary>
public sealed record StartedRun(string RunId, string? ReviewToken, bool AlreadyExisted);

/// <summary>Review progress as storage has it: labels are never counted in the orchestration. Round: the latest
/// sampling round (null for runs from before rounds); Adaptive: targetCiWidth, maxReviewSampleSize and why rounds
/// stopped, for runs with a target; EscalationRound: the round of escalated pairs, once drawn.</summary>
public sealed record ReviewProgress(string Phase, int SampledItems, int Votes, int ItemsFullyReviewed, string? EndedBy, int? Round = null,
    Reviews.AdaptiveReview? Adaptive = null, int? EscalationRound = null);

/// <summary>Error: why a failed run failed. InputErrors: the bad lines of a run whose input was refused, each naming its
/// line and field (the first ones; Error counts them all).</summary>
public sealed record RunView(
    string RunId,
    string? Name,
    string Source,
    DateTimeOffset CreatedAt,
    RunStatus Status,
    RunProgress Progress,
    ReviewProgress? Review,
    string? Error,
    RunResult? Result,
    IReadOnlyList<Input.InputError>? InputErrors = null)
{
    /// <summary>The run lost at least one item step (a pair it would have had). Beside Completed, this is how a run that
    /// finished with failures says so: the status stays Completed, so its outputs are served as usual.</summary>
    public bool Degraded => Progress.FailedItems > 0;
}

/// <summary>A sampled item as a reviewer sees it, blind: no verdict, no source and no input id, so two pairs of one
/// input are not linked by anything but their text. FirstHtml and SecondHtml are the responses rendered as Markdown
/// with raw HTML disabled and only http, https and mailto links (<see cref="ReviewMarkdown"/>).</summary>
public sealed record ReviewItemView(string ItemId, string Prompt, string Category, string First, string Second, string FirstHtml,
    string SecondHtml);

/// <summary>The key to a run's blind review, for whoever manages the run: which pair and input each item is, its source,
/// the round that drew it, whether its texts are shown B first, its reviewers so far, and the pair's trust points (null
/// unless it is a decisive judge pair).</summary>
public sealed record ReviewSampleItem(string ItemId, string PairId, string InputId, string Source, string Category, int Round, bool Flipped,
    int Reviewers, bool Closed, int? TrustPoints = null);

/// <summary>Round: the phase's latest sampling round (null for a run from before rounds, or before review).
/// EscalationRound: the round of escalated pairs, once drawn.</summary>
public sealed record ReviewSampleView(string RunId, string? Phase, int? Round, int MinReviewsPerItem, IReadOnlyList<ReviewSampleItem> Items,
    int? EscalationRound = null);
