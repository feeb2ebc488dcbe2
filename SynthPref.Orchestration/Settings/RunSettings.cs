using System.Text.Json.Serialization;

namespace SynthPref.Orchestration.Settings;

/// <summary>What a run does with the pairs under its trust threshold: nothing but list them (escalated.jsonl), or
/// also send the unlabelled ones to people in one more review round.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<Escalation>))]
public enum Escalation { None, Review }

/// <summary>How a run turns an item's category into the key it is ranked, sampled and reported under: Exact (the text
/// as given) or Folded (trimmed, case-folded, punctuation-insensitive; see <c>Input.CategoryKeys</c>), so spellings that
/// differ only in case or punctuation are one category.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<CategoryKey>))]
public enum CategoryKey { Exact, Folded }

/// <summary>Options after defaults are applied and the seed is fixed, as the orchestration sees them. Window,
/// ItemsPerActivity and ItemsPerExecution (items judged per execution: the run continues as new after them) come from the host's configuration when the run starts, and stay with the run. Judges: the
/// jury, as the configuration spells their names (null: the default judge). Constitution: the run's own copy of the
/// constitution it named (ConstitutionSource), null for the default. BudgetTokens: null for no budget.
/// MaxFailedItemsPerMillion is the maxFailedItemsRatio option in parts per million, so the check is integer
/// arithmetic and exact. MinCategoryVotes: the fewest votes a category needs to be ranked in the report.
/// TargetCiWidth: with it, review goes in rounds until every category's 95% Wilson interval is at
/// most this wide (null: one sample, as before); MaxReviewSampleSize caps the items sampled over all rounds (null: the
/// pairs there are). TrustTarget: with it, the trust points are calibrated on the first review sample at confidence
/// 1 − TrustAlpha, the dataset keeps the trusted pairs and the pairs people decided, and the rest are escalated
/// (escalated.jsonl; with Escalate Review also sent to people in one more review round of at most MaxEscalatedReviews
/// items). Options added after 1.0 have defaults because runs started before them carry none.
/// TextOnlyJudges: never from a request; the orchestration sets it on the copy a lane of items gets, naming the judges
/// whose endpoint refused structured output so far, so they are asked with the text template from the start.
/// Batch: the roles this run sends through the provider's Batch API and how it polls (null: none; from 4.0), decided
/// when the run starts. CacheOnlyRoles: never from a request either; after the batch phase, the roles a lane takes from
/// the cache only (their fallback is fail, or the run was closed), each miss failing its step with CacheOnlyReason.
/// RejectEmptyResponses: a pair input with an empty or identical response is an input error instead of a pair left out
/// of the dataset. CategoryKey: how categories become keys (exact, or folded).
/// This is the one options record: <see cref="Runs.RunOptionsParser"/> builds it once from the request (the options
/// object or the blob's metadata), the run carries it (<c>RunInput.Settings</c>), and the lanes and the report take it.
/// ReferenceCategories: the categories whose items without a reference get one written by the judge model, matched
/// ignoring case (null, as runs from before it carry: <see cref="DefaultReferenceCategories"/>; empty: none).
/// ShowReferenceToReviewers: the review page shows a pair's reference answer.</summary>
public sealed record RunSettings(
    bool SwapPositions,
    bool CritiqueRevise,
    int ReviewSampleSize,
    int MinReviewsPerItem,
    TimeSpan ReviewDeadline,
    int Seed,
    bool Cache,
    int Window,
    int ItemsPerActivity,
    [property: JsonPropertyName("ItemsPerGeneration")] int ItemsPerExecution,
    IReadOnlyList<string>? Judges = null,
    bool StructuredOutput = false,
    int RevisionRounds = 1,
    bool VerifyRevisions = false,
    string? Constitution = null,
    string? ConstitutionSource = null,
    long? BudgetTokens = null,
    int MaxReviewersPerItem = RunSettings.DefaultMaxReviewersPerItem,
    int MaxFailedItemsPerMillion = RunSettings.DefaultMaxFailedItemsPerMillion,
    int MinCategoryVotes = RunSettings.DefaultMinCategoryVotes,
    double? TargetCiWidth = null,
    int? MaxReviewSampleSize = null,
    double? TrustTarget = null,
    double TrustAlpha = RunSettings.DefaultTrustAlpha,
    Escalation Escalate = Escalation.None,
    int MaxEscalatedReviews = RunSettings.DefaultMaxEscalatedReviews,
    IReadOnlyList<string>? TextOnlyJudges = null,
    BatchPlan? Batch = null,
    IReadOnlyList<string>? CacheOnlyRoles = null,
    string? CacheOnlyReason = null,
    bool RejectEmptyResponses = false,
    CategoryKey CategoryKey = CategoryKey.Exact,
    IReadOnlyList<string>? ReferenceCategories = null,
    bool ShowReferenceToReviewers = true)
{
    /// <summary>The categories that get a generated reference answer when a run names none (FastChat's <c>NEED_REF_CATS</c>).</summary>
    public static readonly IReadOnlyList<string> DefaultReferenceCategories = ["math", "reasoning", "coding"];

    public const int DefaultMaxReviewersPerItem = 50;
    public const int DefaultMaxFailedItemsPerMillion = 100_000;
    /// <summary>Categories with fewer votes than this are not ranked unless a run says otherwise: at three votes a
    /// category's 95% interval spans more than half the scale, so ranking it ranks noise.</summary>
    public const int DefaultMinCategoryVotes = 10;
    public const double DefaultTrustAlpha = 0.1;
    public const int DefaultMaxEscalatedReviews = 200;

    /// <summary>What the report assumes of a run whose report request carried no options (runs of 1.0).</summary>
    public static readonly RunSettings Unrecorded = new(SwapPositions: true, CritiqueRevise: false, ReviewSampleSize: 0, MinReviewsPerItem: 1,
        ReviewDeadline: TimeSpan.Zero, Seed: 0, Cache: true, Window: 1, ItemsPerActivity: 1, ItemsPerExecution: 1);

    /// <summary>Whether more items failed than the run allows: failed / items &gt; ratio, exactly.</summary>
    public bool TooManyFailed(int failedItems, int items) =>
        (long)failedItems * 1_000_000 > (long)MaxFailedItemsPerMillion * items;
}
