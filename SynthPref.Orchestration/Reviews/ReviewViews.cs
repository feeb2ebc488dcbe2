using System.Text.Json.Serialization;

namespace SynthPref.Orchestration.Reviews;

/// <summary>A sampled item as a reviewer sees it, blind: no verdict, no source and no input id, so two pairs of one
/// input are not linked by anything but their text. FirstHtml and SecondHtml are the responses rendered as Markdown
/// with raw HTML disabled and only http, https and mailto links (<see cref="ReviewMarkdown"/>).
/// For a conversation item, the dialogue before the judged answers: Dialogue when both sides share it (shown once, in
/// place of the prompt), else FirstDialogue and SecondDialogue, each shown above its own judged answer (in the same
/// blind order as the answers). Reference: the answer the judges graded against, when the run shows it to reviewers.</summary>
public sealed record ReviewItemView(string ItemId, string Prompt, string Category, string First, string Second, string FirstHtml,
    string SecondHtml,
    // Left out when absent, so a single-turn item reads as it always did.
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<ReviewTurn>? Dialogue = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<ReviewTurn>? FirstDialogue = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<ReviewTurn>? SecondDialogue = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Reference = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ReferenceHtml = null);

/// <summary>One message of a dialogue on the review page: its role, its text, and the text rendered as the answers are.</summary>
public sealed record ReviewTurn(string Role, string Text, string Html)
{
    public static IReadOnlyList<ReviewTurn> Of(IReadOnlyList<Input.ChatTurn> turns) =>
        turns.Select(t => new ReviewTurn(t.Role, t.Content, ReviewMarkdown.ToHtml(t.Content))).ToList();
}

/// <summary>The blind items and their version (ETag). Items: null when the caller's version is current.</summary>
public sealed record ReviewItemsPage(string ETag, IReadOnlyList<ReviewItemView>? Items);

/// <summary>The key to a run's blind review, for whoever manages the run: which pair and input each item is, its source,
/// the round that drew it, whether its texts are shown B first, its reviewers so far, and the pair's trust points (null
/// unless it is a decisive judge pair).</summary>
public sealed record ReviewSampleItem(string ItemId, string PairId, string InputId, string Source, string Category, int Round, bool Flipped,
    int Reviewers, bool Closed, int? TrustPoints = null);

/// <summary>Round: the phase's latest sampling round (null for a run from before rounds, or before review).
/// EscalationRound: the round of escalated pairs, once drawn.</summary>
public sealed record ReviewSampleView(string RunId, string? Phase, int? Round, int MinReviewsPerItem, IReadOnlyList<ReviewSampleItem> Items,
    int? EscalationRound = null);

/// <summary>Review progress as storage has it: labels are never counted in the orchestration. Round: the latest
/// sampling round (null for runs from before rounds); Adaptive: targetCiWidth, maxReviewSampleSize and why rounds
/// stopped, for runs with a target; EscalationRound: the round of escalated pairs, once drawn.</summary>
public sealed record ReviewProgress(string Phase, int SampledItems, int Votes, int ItemsFullyReviewed, ReviewEnd? EndedBy, int? Round = null,
    AdaptiveReview? Adaptive = null, int? EscalationRound = null);
