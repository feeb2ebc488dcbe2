using System.Globalization;
using System.Text.Json;
using System.Xml;
using SynthPref.Orchestration.Input;
using SynthPref.Orchestration.Judging;
using SynthPref.Orchestration.Outcomes;
using SynthPref.Orchestration.Revision;
using SynthPref.Orchestration.Settings;
using SynthPref.Orchestration.Statistics;
using SynthPref.Orchestration.Storage;
using SynthPref.Orchestration.Trust;
using SynthPref.Orchestration.Workflow;

namespace SynthPref.Orchestration.Runs;

/// <summary>
/// The options a run request gave, as the caller spelled them: the <c>options</c> object of POST /api/runs, or a blob's
/// metadata. Each option has one name and one kind (<see cref="RunOptionsParser.Names"/>); a value of the wrong kind is
/// refused naming its field. Only <see cref="RunOptionsParser"/> reads it, to build the run's one options record,
/// <see cref="RunSettings"/>.
/// </summary>
public sealed class RequestedOptions
{
    readonly Dictionary<string, object> values = new(StringComparer.OrdinalIgnoreCase);

    RequestedOptions() { }

    public static readonly RequestedOptions None = new();

    /// <summary>The request's options object; names match case-insensitively, an unknown name is refused naming it (and
    /// the option it most likely meant), and a null value is an option not given. A value of the wrong type is refused as "options.&lt;name&gt;".</summary>
    public static RequestedOptions FromJson(JsonElement? options, List<FieldError> errors)
    {
        var given = new RequestedOptions();
        if (options is not { ValueKind: JsonValueKind.Object } json)
        {
            if (options is { ValueKind: not JsonValueKind.Null and not JsonValueKind.Undefined })
                errors.Add(new FieldError("options", "must be a JSON object of run options."));
            return given;
        }
        foreach (var property in json.EnumerateObject())
        {
            if (!RunOptionsParser.Names.TryGetValue(property.Name, out var kind))
            {
                RunOptionsParser.RefuseUnknown(property.Name, RunOptionsParser.Names.Keys.ToList(), $"options.{property.Name}", "a run option", errors);
                continue;
            }
            if (property.Value.ValueKind == JsonValueKind.Null) continue;
            var name = RunOptionsParser.Names.Keys.First(k => k.Equals(property.Name, StringComparison.OrdinalIgnoreCase));
            if (FromJson(property.Value, kind) is { } value) given.values[name] = value;
            else errors.Add(new FieldError($"options.{name}", $"must be {Describe(kind)} (got {property.Value.GetRawText()})."));
        }
        return given;
    }

    /// <summary>A blob's metadata: keys are case-insensitive and every value is text; <c>judges</c> is a comma-separated
    /// list. <c>name</c> names the run; any other key that names no option is refused naming it. A bad value is refused as "metadata &lt;key&gt;".</summary>
    public static RequestedOptions FromMetadata(IDictionary<string, string> metadata, List<FieldError> errors)
    {
        var given = new RequestedOptions();
        foreach (var (key, text) in metadata)
        {
            if (!RunOptionsParser.Names.TryGetValue(key, out var kind))
            {
                if (!key.Equals(RunOptionsParser.RunName, StringComparison.OrdinalIgnoreCase))
                    RunOptionsParser.RefuseUnknown(key, RunOptionsParser.MetadataKeys, $"metadata {key}", "a run option or the run's name", errors);
                continue;
            }
            var name = RunOptionsParser.Names.Keys.First(k => k.Equals(key, StringComparison.OrdinalIgnoreCase));
            if (FromText(text, kind) is { } value) given.values[name] = value;
            else errors.Add(new FieldError($"metadata {name}", $"'{text}' is {(kind == OptionKind.Bool ? "not true or false" : kind == OptionKind.Number ? "not a number" : "not an integer")}."));
        }
        return given;
    }

    /// <summary>The options given, by the parser's names, with their typed values (bool, int, long, double, string or
    /// a list of strings): what a client sends as the request's options object.</summary>
    public IReadOnlyDictionary<string, object> Given => values;

    public bool Has(string name) => values.ContainsKey(name);
    public bool? Bool(string name) => values.TryGetValue(name, out var v) ? (bool)v : null;
    public int? Int(string name) => values.TryGetValue(name, out var v) ? (int)v : null;
    public long? Long(string name) => values.TryGetValue(name, out var v) ? (long)v : null;
    public double? Number(string name) => values.TryGetValue(name, out var v) ? (double)v : null;
    public string? Text(string name) => values.TryGetValue(name, out var v) ? (string)v : null;
    public IReadOnlyList<string>? Names(string name) => values.TryGetValue(name, out var v) ? (IReadOnlyList<string>)v : null;

    // Numbers may come as strings, as the JSON options of earlier builds took them.
    static object? FromJson(JsonElement value, OptionKind kind) => kind switch
    {
        OptionKind.Int or OptionKind.Long or OptionKind.Number when value.ValueKind == JsonValueKind.String => FromText(value.GetString()!, kind),
        OptionKind.Bool => value.ValueKind switch { JsonValueKind.True => true, JsonValueKind.False => false, _ => null },
        OptionKind.Int => value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var i) ? i : null,
        OptionKind.Long => value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var l) ? l : null,
        OptionKind.Number => value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var d) ? d : null,
        OptionKind.Text => value.ValueKind == JsonValueKind.String ? value.GetString() : null,
        OptionKind.Names => value.ValueKind == JsonValueKind.Array && value.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String)
            ? value.EnumerateArray().Select(e => e.GetString()!).ToList()
            : null,
        _ => null,
    };

    static object? FromText(string text, OptionKind kind) => kind switch
    {
        OptionKind.Bool => bool.TryParse(text, out var b) ? b : null,
        OptionKind.Int => int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) ? i : null,
        OptionKind.Long => long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) ? l : null,
        OptionKind.Number => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : null,
        OptionKind.Text => text,
        OptionKind.Names => text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToList(),
        _ => null,
    };

    static string Describe(OptionKind kind) => kind switch
    {
        OptionKind.Bool => "true or false",
        OptionKind.Int or OptionKind.Long => "an integer",
        OptionKind.Number => "a number",
        OptionKind.Text => "a string",
        _ => "an array of strings",
    };
}

public enum OptionKind { Bool, Int, Long, Number, Text, Names }

/// <summary>
/// Builds a run's options record (<see cref="RunSettings"/>) once, from what its request gave, whether the options object
/// of POST /api/runs or a blob's metadata: defaults applied, ranges checked (every problem named by its field), the seed
/// fixed and the host's judging limits added. Judges names configured <c>Judges:&lt;name&gt;</c> sections (or "default"
/// for the <c>Llm</c> judge); constitution is "container/path.json". targetCiWidth (with maxReviewSampleSize) turns on
/// adaptive review rounds; trustTarget (with trustAlpha) calibrates the judges' trust points on people and splits the
/// pairs into trusted and escalated; escalate "review" (with maxEscalatedReviews) sends the escalated pairs to people.
/// batch turns the provider's Batch API on or off for the run (not given: each LLM section's Batch setting); the
/// starter decides it with the host's sections (<c>BatchPlanner</c>) and sets <see cref="RunSettings.Batch"/>.
/// referenceCategories names the categories whose items without a reference get one written by the judge model
/// (not given: math, reasoning, coding; [] or an empty metadata value: none); showReferenceToReviewers (default true).
/// </summary>
public static class RunOptionsParser
{
    public const string SwapPositions = "swapPositions";
    public const string CritiqueRevise = "critiqueRevise";
    public const string ReviewSampleSize = "reviewSampleSize";
    public const string MinReviewsPerItem = "minReviewsPerItem";
    public const string ReviewDeadline = "reviewDeadline";
    public const string Seed = "seed";
    public const string Cache = "cache";
    public const string Judges = "judges";
    public const string StructuredOutput = "structuredOutput";
    public const string RevisionRounds = "revisionRounds";
    public const string VerifyRevisions = "verifyRevisions";
    public const string Constitution = "constitution";
    public const string BudgetTokens = "budgetTokens";
    public const string MaxReviewersPerItem = "maxReviewersPerItem";
    public const string MaxFailedItemsRatio = "maxFailedItemsRatio";
    public const string MinCategoryVotes = "minCategoryVotes";
    public const string TargetCiWidth = "targetCiWidth";
    public const string MaxReviewSampleSize = "maxReviewSampleSize";
    public const string TrustTarget = "trustTarget";
    public const string TrustAlpha = "trustAlpha";
    public const string Escalate = "escalate";
    public const string MaxEscalatedReviews = "maxEscalatedReviews";
    public const string Batch = "batch";
    public const string RejectEmptyResponses = "rejectEmptyResponses";
    public const string CategoryKeyOption = "categoryKey";
    public const string ReferenceCategories = "referenceCategories";
    public const string ShowReferenceToReviewers = "showReferenceToReviewers";

    /// <summary>Every option a run takes, by the name requests and metadata give it, with its kind.</summary>
    public static readonly IReadOnlyDictionary<string, OptionKind> Names = new Dictionary<string, OptionKind>(StringComparer.OrdinalIgnoreCase)
    {
        [SwapPositions] = OptionKind.Bool, [CritiqueRevise] = OptionKind.Bool, [ReviewSampleSize] = OptionKind.Int,
        [MinReviewsPerItem] = OptionKind.Int, [ReviewDeadline] = OptionKind.Text, [Seed] = OptionKind.Int, [Cache] = OptionKind.Bool,
        [Judges] = OptionKind.Names, [StructuredOutput] = OptionKind.Bool, [RevisionRounds] = OptionKind.Int,
        [VerifyRevisions] = OptionKind.Bool, [Constitution] = OptionKind.Text, [BudgetTokens] = OptionKind.Long,
        [MaxReviewersPerItem] = OptionKind.Int, [MaxFailedItemsRatio] = OptionKind.Number, [MinCategoryVotes] = OptionKind.Int,
        [TargetCiWidth] = OptionKind.Number, [MaxReviewSampleSize] = OptionKind.Int, [TrustTarget] = OptionKind.Number,
        [TrustAlpha] = OptionKind.Number, [Escalate] = OptionKind.Text, [MaxEscalatedReviews] = OptionKind.Int,
        [Batch] = OptionKind.Bool, [RejectEmptyResponses] = OptionKind.Bool, [CategoryKeyOption] = OptionKind.Text, [ReferenceCategories] = OptionKind.Names, [ShowReferenceToReviewers] = OptionKind.Bool,
    };

    /// <summary>The metadata key that names an uploaded run; not an option.</summary>
    public const string RunName = "name";

    /// <summary>The metadata keys an upload may carry: the options and the run's name.</summary>
    public static IReadOnlyList<string> MetadataKeys { get; } = [.. Names.Keys, RunName];

    /// <summary>Refuses a name that is none of <paramref name="known"/>, as <paramref name="field"/>, with the known name it
    /// is closest to when that looks like a typo of it (Levenshtein distance at most 2, or a quarter of its length).</summary>
    public static void RefuseUnknown(string name, IReadOnlyList<string> known, string field, string what, List<FieldError> errors)
    {
        var lower = name.ToLowerInvariant();
        var closest = known.MinBy(k => Distance(lower, k.ToLowerInvariant()));
        var hint = closest is not null && Distance(lower, closest.ToLowerInvariant()) <= Math.Max(2, name.Length / 4)
            ? $" Did you mean '{closest}'?" : "";
        errors.Add(new(field, $"'{name}' is not {what}, so it would be ignored.{hint} Known: {string.Join(", ", known)}."));
    }

    /// <summary>Levenshtein distance, for suggesting the option a typo meant.</summary>
    static int Distance(string a, string b)
    {
        var row = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var diagonal = row[0];
            row[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var above = row[j];
                row[j] = Math.Min(Math.Min(row[j] + 1, row[j - 1] + 1), diagonal + (a[i - 1] == b[j - 1] ? 0 : 1));
                diagonal = above;
            }
        }
        return row[b.Length];
    }

    /// <summary>The options record of a run requested over HTTP, from the request's options object (null: none given).</summary>
    public static RunSettings FromJson(JsonElement? options, string runId, JudgingLimits judging, List<FieldError> errors,
        Func<string, string?>? resolveJudge = null) =>
        Resolve(RequestedOptions.FromJson(options, errors), runId, judging, errors, resolveJudge);

    /// <summary>The options record of a run started by an upload, from the blob's metadata.</summary>
    public static RunSettings FromMetadata(IDictionary<string, string> metadata, string runId, JudgingLimits judging, List<FieldError> errors,
        Func<string, string?>? resolveJudge = null) =>
        Resolve(RequestedOptions.FromMetadata(metadata, errors), runId, judging, errors, resolveJudge);

    public static readonly TimeSpan DefaultDeadline = TimeSpan.FromDays(7);
    /// <summary>Each reviewer of an item is a stored row the report reads; a thousand is far past any real panel.</summary>
    public const int MaxReviewersLimit = 1000;
    static readonly TimeSpan MaxDeadline = TimeSpan.FromDays(365);
    /// <summary>Narrower targets ask for tens of thousands of votes per category, past any review budget.</summary>
    public const double MinTargetCiWidth = 0.01;
    public const int DefaultReviewSampleSize = 20;

    /// <summary>Applies defaults and checks ranges; the seed falls back to one derived from the run id, and the
    /// judging window and items per execution come from the host (<paramref name="judging"/>).</summary>
    /// <param name="resolveJudge">A configured judge's own spelling of a name, or null for a name nobody configured;
    /// without it, names are taken as given.</param>
    public static RunSettings Resolve(RequestedOptions options, string runId, JudgingLimits judging, List<FieldError> errors,
        Func<string, string?>? resolveJudge = null)
    {
        var deadline = DefaultDeadline;
        if (options.Text(ReviewDeadline) is { } text)
        {
            if (!TryParseDuration(text, out deadline))
                errors.Add(new("options.reviewDeadline", $"'{text}' is not an ISO-8601 duration such as P7D or PT30M."));
            else if (deadline <= TimeSpan.Zero || deadline > MaxDeadline)
                errors.Add(new("options.reviewDeadline", $"must be more than zero and at most P365D (got {text})."));
        }
        if (options.Int(ReviewSampleSize) is < 0)
            errors.Add(new("options.reviewSampleSize", "must be zero or more."));
        if (options.Int(MinReviewsPerItem) is < 1)
            errors.Add(new("options.minReviewsPerItem", "must be at least 1."));
        if (options.Int(RevisionRounds) is < 1 or > ConstitutionalReviser.MaxRounds)
            errors.Add(new("options.revisionRounds", $"must be 1 to {ConstitutionalReviser.MaxRounds} (got {options.Int(RevisionRounds)})."));
        if (options.Long(BudgetTokens) is < 1)
            errors.Add(new("options.budgetTokens", $"must be at least 1 (got {options.Long(BudgetTokens)})."));
        if (options.Text(Constitution) is { } constitution && BlobReference.Problem(constitution, "container/path.json") is { } badConstitution)
            errors.Add(new("options.constitution", badConstitution));
        var judges = ResolveJudges(options.Names(Judges), resolveJudge, errors);
        if (options.Int(MaxReviewersPerItem) is < 1 or > MaxReviewersLimit)
            errors.Add(new("options.maxReviewersPerItem", $"must be from 1 to {MaxReviewersLimit}."));
        if (options.Int(MinCategoryVotes) is < 1)
            errors.Add(new("options.minCategoryVotes", $"must be at least 1 (got {options.Int(MinCategoryVotes)})."));
        if (options.Number(MaxFailedItemsRatio) is { } ratio && !(ratio is >= 0 and <= 1))
            errors.Add(new("options.maxFailedItemsRatio", $"must be from 0 to 1 (got {ratio.ToString(CultureInfo.InvariantCulture)})."));
        if (options.Number(TargetCiWidth) is { } target && !(target is >= MinTargetCiWidth and < 1))
            errors.Add(new("options.targetCiWidth",
                $"must be at least {MinTargetCiWidth.ToString(CultureInfo.InvariantCulture)} and less than 1: the width of a 95% interval (got {target.ToString(CultureInfo.InvariantCulture)})."));
        var sampleSize = options.Int(ReviewSampleSize) ?? DefaultReviewSampleSize;
        if (options.Int(MaxReviewSampleSize) is { } cap)
        {
            if (options.Number(TargetCiWidth) is null)
                errors.Add(new("options.maxReviewSampleSize", "caps adaptive review rounds, so it needs targetCiWidth."));
            else if (cap < 1 || cap < sampleSize)
                errors.Add(new("options.maxReviewSampleSize", $"must be at least reviewSampleSize ({sampleSize}) and at least 1 (got {cap})."));
        }

        var (trustTarget, trustAlpha, escalate, maxEscalated) = ResolveTrust(options, sampleSize, errors);
        var categoryKey = CategoryKeys.Parse(options.Text(CategoryKeyOption), out var badKey);
        if (badKey is not null) errors.Add(new("options.categoryKey", badKey));
        var referenceCategories = ResolveReferenceCategories(options.Names(ReferenceCategories), errors);

        var swap = options.Bool(SwapPositions) ?? true;
        var critique = options.Bool(CritiqueRevise) ?? true;
        return new RunSettings(
            swap,
            critique,
            sampleSize,
            options.Int(MinReviewsPerItem) ?? 1,
            deadline,
            options.Int(Seed) ?? (int)(StableHash.Fnv1a(runId) & 0x7FFFFFFF),
            options.Bool(Cache) ?? true,
            judging.WindowFor(swap, critique),
            judging.ItemsPerActivity,
            judging.ItemsPerExecution,
            judges,
            options.Bool(StructuredOutput) ?? false,
            options.Int(RevisionRounds) ?? 1,
            options.Bool(VerifyRevisions) ?? false,
            Constitution: null,
            options.Text(Constitution),
            options.Long(BudgetTokens),
            options.Int(MaxReviewersPerItem) ?? RunSettings.DefaultMaxReviewersPerItem,
            options.Number(MaxFailedItemsRatio) is { } r and >= 0 and <= 1
                ? (int)Math.Round(r * 1_000_000, MidpointRounding.AwayFromZero)
                : RunSettings.DefaultMaxFailedItemsPerMillion,
            options.Int(MinCategoryVotes) ?? RunSettings.DefaultMinCategoryVotes,

            options.Number(TargetCiWidth) is { } width and >= MinTargetCiWidth and < 1 ? width : null,
            options.Number(TargetCiWidth) is not null ? options.Int(MaxReviewSampleSize) : null,
            trustTarget,
            trustAlpha,
            escalate,
            maxEscalated,
            RejectEmptyResponses: options.Bool(RejectEmptyResponses) ?? false,
            CategoryKey: categoryKey ?? CategoryKey.Exact,
            ReferenceCategories: referenceCategories,
            ShowReferenceToReviewers: options.Bool(ShowReferenceToReviewers) ?? true);
    }

    /// <summary>The categories that get a generated reference, as given (matched ignoring case), or the defaults; each
    /// empty, overlong or repeated name refused.</summary>
    static IReadOnlyList<string> ResolveReferenceCategories(IReadOnlyList<string>? categories, List<FieldError> errors)
    {
        if (categories is null) return RunSettings.DefaultReferenceCategories;
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
    static (double? Target, double Alpha, Escalation Escalate, int MaxEscalated) ResolveTrust(RequestedOptions options, int sampleSize,
        List<FieldError> errors)
    {
        var target = options.Number(TrustTarget);
        if (target is { } t && !(t is > 0 and < 1))
        {
            errors.Add(new("options.trustTarget",
                $"must be more than 0 and less than 1: the agreement with people the trusted pairs must be shown to reach (got {Text(t)})."));
            target = null;
        }
        if (options.Number(TrustTarget) is not null && sampleSize == 0)
            errors.Add(new("options.trustTarget",
                "is calibrated on the first review sample, so it needs reviewSampleSize of at least 1 (got 0): without reviewed pairs no pair can be trusted."));

        var alpha = TrustCalibration.DefaultAlpha;
        if (options.Number(TrustAlpha) is { } a)
        {
            if (options.Number(TrustTarget) is null)
                errors.Add(new("options.trustAlpha", "sets the confidence of the bound trustTarget is tested with, so it needs trustTarget."));
            else if (!(a is > 0 and < 0.5))
                errors.Add(new("options.trustAlpha", $"must be more than 0 and less than 0.5: the bound holds at confidence 1 − trustAlpha (got {Text(a)})."));
            else
                alpha = a;
        }

        var escalate = Escalation.None;
        if (options.Text(Escalate) is { } mode)
        {
            switch (mode.Trim().ToLowerInvariant())
            {
                case "none":
                    break;
                case "review":
                    if (options.Number(TrustTarget) is null)
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
        if (options.Int(MaxEscalatedReviews) is { } cap)
        {
            if (!string.Equals(options.Text(Escalate)?.Trim(), "review", StringComparison.OrdinalIgnoreCase))
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
}
