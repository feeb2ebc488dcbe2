using System.Globalization;
using System.Xml;
using SynthPref.Orchestration.Judging;
using SynthPref.Orchestration.Outcomes;
using SynthPref.Orchestration.Revision;
using SynthPref.Orchestration.Sampling;
using SynthPref.Orchestration.Storage;
using SynthPref.Orchestration.Trust;
using SynthPref.Orchestration.Workflow;

namespace SynthPref.Orchestration.Runs;

/// <summary>Run options as callers send them (JSON body or blob metadata); all optional. Judges names configured
/// <c>Judges:&lt;name&gt;</c> sections (or "default" for the <c>Llm</c> judge); Constitution is "container/path.json".
/// TargetCiWidth (with MaxReviewSampleSize) turns on adaptive review rounds. TrustTarget (with TrustAlpha) calibrates the
/// judges' trust points on people and splits the pairs into trusted and escalated; Escalate "review" (with
/// MaxEscalatedReviews) sends the escalated pairs to people in one more review round. Batch turns the provider's Batch
/// API on or off for the run (null: each LLM section's Batch setting). ReferenceCategories: the categories whose items
/// without a reference get one written by the judge model (null: math, reasoning, coding; empty: none);
/// ShowReferenceToReviewers: the review page shows the reference (null: true).</summary>
public sealed record RunOptions(
    bool? SwapPositions = null,
    bool? CritiqueRevise = null,
    int? ReviewSampleSize = null,
    int? MinReviewsPerItem = null,
    string? ReviewDeadline = null,
    int? Seed = null,
    bool? Cache = null,
    IReadOnlyList<string>? Judges = null,
    bool? StructuredOutput = null,
    int? RevisionRounds = null,
    bool? VerifyRevisions = null,
    string? Constitution = null,
    long? BudgetTokens = null,
    int? MaxReviewersPerItem = null,
    double? MaxFailedItemsRatio = null,
    int? MinCategoryVotes = null,

    double? TargetCiWidth = null,
    int? MaxReviewSampleSize = null,
    double? TrustTarget = null,
    double? TrustAlpha = null,
    string? Escalate = null,
    int? MaxEscalatedReviews = null,
    bool? Batch = null,
    IReadOnlyList<string>? ReferenceCategories = null,
    bool? ShowReferenceToReviewers = null);

public static class RunOptionsParser
{
    public static readonly TimeSpan DefaultDeadline = TimeSpan.FromDays(7);
    /// <summary>Each reviewer of an item is a stored row the report reads; a thousand is far past any real panel.</summary>
    public const int MaxReviewersLimit = 1000;
    static readonly TimeSpan MaxDeadline = TimeSpan.FromDays(365);
    /// <summary>Narrower targets ask for tens of thousands of votes per category, past any review budget.</summary>
    public const double MinTargetCiWidth = 0.01;
    public const int DefaultReviewSampleSize = 20;

    /// <summary>Applies defaults and checks ranges; the seed falls back to one derived from the run id, and the
    /// judging window and generation size come from the host (<paramref name="judging"/>).</summary>
    /// <param name="resolveJudge">A configured judge's own spelling of a name, or null for a name nobody configured;
    /// without it, names are taken as given.</param>
    public static RunSettings Resolve(RunOptions? options, string runId, JudgingLimits judging, List<FieldError> errors,
        Func<string, string?>? resolveJudge = null)
    {
        options ??= new RunOptions();
        var deadline = DefaultDeadline;
        if (options.ReviewDeadline is { } text)
        {
            if (!TryParseDuration(text, out deadline))
                errors.Add(new("options.reviewDeadline", $"'{text}' is not an ISO-8601 duration such as P7D or PT30M."));
            else if (deadline <= TimeSpan.Zero || deadline > MaxDeadline)
                errors.Add(new("options.reviewDeadline", $"must be more than zero and at most P365D (got {text})."));
        }
        if (options.ReviewSampleSize is < 0)
            errors.Add(new("options.reviewSampleSize", "must be zero or more."));
        if (options.MinReviewsPerItem is < 1)
            errors.Add(new("options.minReviewsPerItem", "must be at least 1."));
        if (options.RevisionRounds is < 1 or > ConstitutionalReviser.MaxRounds)
            errors.Add(new("options.revisionRounds", $"must be 1 to {ConstitutionalReviser.MaxRounds} (got {options.RevisionRounds})."));
        if (options.BudgetTokens is < 1)
            errors.Add(new("options.budgetTokens", $"must be at least 1 (got {options.BudgetTokens})."));
        if (options.Constitution is { } constitution && BlobReference.Problem(constitution, "container/path.json") is { } badConstitution)
            errors.Add(new("options.constitution", badConstitution));
        var judges = ResolveJudges(options.Judges, resolveJudge, errors);
        if (options.MaxReviewersPerItem is < 1 or > MaxReviewersLimit)
            errors.Add(new("options.maxReviewersPerItem", $"must be from 1 to {MaxReviewersLimit}."));
        if (options.MinCategoryVotes is < 1)
            errors.Add(new("options.minCategoryVotes", $"must be at least 1 (got {options.MinCategoryVotes})."));
        if (options.MaxFailedItemsRatio is { } ratio && !(ratio is >= 0 and <= 1))
            errors.Add(new("options.maxFailedItemsRatio", $"must be from 0 to 1 (got {ratio.ToString(CultureInfo.InvariantCulture)})."));
        if (options.TargetCiWidth is { } target && !(target is >= MinTargetCiWidth and < 1))
            errors.Add(new("options.targetCiWidth",
                $"must be at least {MinTargetCiWidth.ToString(CultureInfo.InvariantCulture)} and less than 1: the width of a 95% interval (got {target.ToString(CultureInfo.InvariantCulture)})."));
        var sampleSize = options.ReviewSampleSize ?? DefaultReviewSampleSize;
        if (options.MaxReviewSampleSize is { } cap)
        {
            if (options.TargetCiWidth is null)
                errors.Add(new("options.maxReviewSampleSize", "caps adaptive review rounds, so it needs targetCiWidth."));
            else if (cap < 1 || cap < sampleSize)
                errors.Add(new("options.maxReviewSampleSize", $"must be at least reviewSampleSize ({sampleSize}) and at least 1 (got {cap})."));
        }

        var (trustTarget, trustAlpha, escalate, maxEscalated) = ResolveTrust(options, sampleSize, errors);
        var referenceCategories = ResolveReferenceCategories(options.ReferenceCategories, errors);

        var swap = options.SwapPositions ?? true;
        var critique = options.CritiqueRevise ?? true;
        return new RunSettings(
            swap,
            critique,
            sampleSize,
            options.MinReviewsPerItem ?? 1,
            deadline,
            options.Seed ?? (int)(StableHash.Fnv1a(runId) & 0x7FFFFFFF),
            options.Cache ?? true,
            judging.WindowFor(swap, critique),
            judging.ItemsPerActivity,
            judging.ItemsPerGeneration,
            judges,
            options.StructuredOutput ?? false,
            options.RevisionRounds ?? 1,
            options.VerifyRevisions ?? false,
            Constitution: null,
            options.Constitution,
            options.BudgetTokens,
            options.MaxReviewersPerItem ?? RunSettings.DefaultMaxReviewersPerItem,
            options.MaxFailedItemsRatio is { } r and >= 0 and <= 1
                ? (int)Math.Round(r * 1_000_000, MidpointRounding.AwayFromZero)
                : RunSettings.DefaultMaxFailedItemsPerMillion,
            options.MinCategoryVotes ?? RunSettings.DefaultMinCategoryVotes,

            options.TargetCiWidth is { } width and >= MinTargetCiWidth and < 1 ? width : null,
            options.TargetCiWidth is not null ? options.MaxReviewSampleSize : null,
            trustTarget,
            trustAlpha,
            escalate,
            maxEscalated,
            ReferenceCategories: referenceCategories,
            ShowReferenceToReviewers: options.ShowReferenceToReviewers ?? true);
    }

    /// <summary>The categories that get a generated reference, as given (matched ignoring case), or the defaults; each
    /// empty, overlong or repeated name refused.</summary>
    static IReadOnlyList<string> ResolveReferenceCategories(IReadOnlyList<string>? categories, List<FieldError> errors)
    {
        if (categories is null) return ItemReference.DefaultCategories;
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var category in categories)
        {
            if (string.IsNullOrWhiteSpace(category))
                errors.Add(new("options.referenceCategories", "a category name must not be empty; [] turns generated references off."));
            else if (category.Length > Input.InputLimits.MaxCategoryChars)
                errors.Add(new("options.referenceCategories", $"a category name has at most {Input.InputLimits.MaxCategoryChars} characters (got {category.Length})."));
            else if (!seen.Add(category))
                errors.Add(new("options.referenceCategories", $"'{category}' is given twice (names match ignoring case)."));
        }
        return categories.ToList();
    }

    /// <summary>trustTarget and the options that only mean something with it, each refused naming its field.</summary>
    static (double? Target, double Alpha, Escalation Escalate, int MaxEscalated) ResolveTrust(RunOptions options, int sampleSize,
        List<FieldError> errors)
    {
        var target = options.TrustTarget;
        if (target is { } t && !(t is > 0 and < 1))
        {
            errors.Add(new("options.trustTarget",
                $"must be more than 0 and less than 1: the agreement with people the trusted pairs must be shown to reach (got {Text(t)})."));
            target = null;
        }
        if (options.TrustTarget is not null && sampleSize == 0)
            errors.Add(new("options.trustTarget",
                "is calibrated on the first review sample, so it needs reviewSampleSize of at least 1 (got 0): without reviewed pairs no pair can be trusted."));

        var alpha = TrustCalibration.DefaultAlpha;
        if (options.TrustAlpha is { } a)
        {
            if (options.TrustTarget is null)
                errors.Add(new("options.trustAlpha", "sets the confidence of the bound trustTarget is tested with, so it needs trustTarget."));
            else if (!(a is > 0 and < 0.5))
                errors.Add(new("options.trustAlpha", $"must be more than 0 and less than 0.5: the bound holds at confidence 1 − trustAlpha (got {Text(a)})."));
            else
                alpha = a;
        }

        var escalate = Escalation.None;
        if (options.Escalate is { } mode)
        {
            switch (mode.Trim().ToLowerInvariant())
            {
                case "none":
                    break;
                case "review":
                    if (options.TrustTarget is null)
                        errors.Add(new("options.escalate", "'review' sends people the pairs under the trust threshold, so it needs trustTarget."));
                    else
                        escalate = Escalation.Review;
                    break;
                default:
                    errors.Add(new("options.escalate", $"'{mode}' is not none or review."));
                    break;
            }
        }

        var max = TrustCalibration.DefaultMaxEscalatedReviews;
        if (options.MaxEscalatedReviews is { } cap)
        {
            if (!string.Equals(options.Escalate?.Trim(), "review", StringComparison.OrdinalIgnoreCase))
                errors.Add(new("options.maxEscalatedReviews", "caps the escalation round, so it needs escalate: review."));
            else if (cap < 1)
                errors.Add(new("options.maxEscalatedReviews", $"must be at least 1 (got {cap})."));
            else
                max = cap;
        }
        return (target, alpha, escalate, max);
    }

    static string Text(double value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>The jury as configured names, every unknown or repeated name reported; null for the default judge.</summary>
    static IReadOnlyList<string>? ResolveJudges(IReadOnlyList<string>? names, Func<string, string?>? resolve, List<FieldError> errors)
    {
        if (names is null) return null;
        if (names.Count == 0)
        {
            errors.Add(new("options.judges", "the list is empty; name at least one judge, or leave judges out for the default judge."));
            return null;
        }
        if (names.Count > JudgePanel.MaxJudges)
            errors.Add(new("options.judges", $"{names.Count} judges; the most a run takes is {JudgePanel.MaxJudges}."));
        var resolved = new List<string>();
        foreach (var name in names)
        {
            var known = string.IsNullOrWhiteSpace(name) ? null : resolve is null ? name.Trim() : resolve(name.Trim());
            if (known is null)
                errors.Add(new("options.judges", $"unknown judge '{name}': no Judges:{name} section is configured."));
            else if (resolved.Contains(known, StringComparer.Ordinal))
                errors.Add(new("options.judges", $"judge '{name}' is named twice."));
            else
                resolved.Add(known);
        }
        return resolved;
    }

    /// <summary>Blob metadata keys are case-insensitive and string-valued; bad values are reported by key.</summary>
    public static RunOptions FromMetadata(IDictionary<string, string> metadata, List<FieldError> errors)
    {
        var m = new Dictionary<string, string>(metadata, StringComparer.OrdinalIgnoreCase);
        return new RunOptions(
            Bool(m, "swapPositions", errors),
            Bool(m, "critiqueRevise", errors),
            Int(m, "reviewSampleSize", errors),
            Int(m, "minReviewsPerItem", errors),
            m.GetValueOrDefault("reviewDeadline"),
            Int(m, "seed", errors),
            Bool(m, "cache", errors),
            m.TryGetValue("judges", out var judges)
                ? judges.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                : null,
            Bool(m, "structuredOutput", errors),
            Int(m, "revisionRounds", errors),
            Bool(m, "verifyRevisions", errors),
            m.GetValueOrDefault("constitution"),
            Long(m, "budgetTokens", errors),
            Int(m, "maxReviewersPerItem", errors),
            Double(m, "maxFailedItemsRatio", errors),
            Int(m, "minCategoryVotes", errors),

            Double(m, "targetCiWidth", errors),
            Int(m, "maxReviewSampleSize", errors),
            Double(m, "trustTarget", errors),
            Double(m, "trustAlpha", errors),
            m.GetValueOrDefault("escalate"),
            Int(m, "maxEscalatedReviews", errors),
            Bool(m, "batch", errors),
            // Comma-separated; an empty value is the empty list, which turns generated references off.
            m.TryGetValue("referenceCategories", out var categories)
                ? categories.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                : null,
            Bool(m, "showReferenceToReviewers", errors));
    }

    public static bool TryParseDuration(string text, out TimeSpan value)
    {
        try
        {
            value = XmlConvert.ToTimeSpan(text.Trim());
            return true;
        }
        catch (FormatException)
        {
            value = default;
            return false;
        }
    }

    static bool? Bool(Dictionary<string, string> m, string key, List<FieldError> errors)
    {
        if (!m.TryGetValue(key, out var text)) return null;
        if (bool.TryParse(text, out var value)) return value;
        errors.Add(new($"metadata {key}", $"'{text}' is not true or false."));
        return null;
    }

    static long? Long(Dictionary<string, string> m, string key, List<FieldError> errors)
    {
        if (!m.TryGetValue(key, out var text)) return null;
        if (long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)) return value;
        errors.Add(new($"metadata {key}", $"'{text}' is not an integer."));
        return null;
    }

    static double? Double(Dictionary<string, string> m, string key, List<FieldError> errors)
    {
        if (!m.TryGetValue(key, out var text)) return null;
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)) return value;
        errors.Add(new($"metadata {key}", $"'{text}' is not a number."));
        return null;
    }

    static int? Int(Dictionary<string, string> m, string key, List<FieldError> errors)
    {
        if (!m.TryGetValue(key, out var text)) return null;
        if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)) return value;
        errors.Add(new($"metadata {key}", $"'{text}' is not an integer."));
        return null;
    }
}
