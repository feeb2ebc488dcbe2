using System.Globalization;
using System.Xml;
using SynthPref.Orchestration.Sampling;
using SynthPref.Orchestration.Workflow;

namespace SynthPref.Orchestration.Runs;

/// <summary>Run options as callers send them (JSON body or blob metadata); all optional.</summary>
public sealed record RunOptions(
    bool? SwapPositions = null,
    bool? CritiqueRevise = null,
    int? ReviewSampleSize = null,
    int? MinReviewsPerItem = null,
    string? ReviewDeadline = null,
    int? Seed = null,
    bool? Cache = null,
    int? MaxReviewersPerItem = null,
    double? MaxFailedItemsRatio = null);

public static class RunOptionsParser
{
    public static readonly TimeSpan DefaultDeadline = TimeSpan.FromDays(7);
    /// <summary>Each reviewer of an item is a stored row the report reads; a thousand is far past any real panel.</summary>
    public const int MaxReviewersLimit = 1000;
    static readonly TimeSpan MaxDeadline = TimeSpan.FromDays(365);

    /// <summary>Applies defaults and checks ranges; the seed falls back to one derived from the run id, and the
    /// judging window and generation size come from the host (<paramref name="judging"/>).</summary>
    public static RunSettings Resolve(RunOptions? options, string runId, JudgingLimits judging, List<FieldError> errors)
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
        if (options.MaxReviewersPerItem is < 1 or > MaxReviewersLimit)
            errors.Add(new("options.maxReviewersPerItem", $"must be from 1 to {MaxReviewersLimit}."));
        if (options.MaxFailedItemsRatio is { } ratio && !(ratio is >= 0 and <= 1))
            errors.Add(new("options.maxFailedItemsRatio", $"must be from 0 to 1 (got {ratio.ToString(CultureInfo.InvariantCulture)})."));

        var swap = options.SwapPositions ?? true;
        var critique = options.CritiqueRevise ?? true;
        return new RunSettings(
            swap,
            critique,
            options.ReviewSampleSize ?? 20,
            options.MinReviewsPerItem ?? 1,
            deadline,
            options.Seed ?? (int)(StableHash.Fnv1a(runId) & 0x7FFFFFFF),
            options.Cache ?? true,
            judging.WindowFor(swap, critique),
            judging.ItemsPerGeneration,
            options.MaxReviewersPerItem ?? RunSettings.DefaultMaxReviewersPerItem,
            options.MaxFailedItemsRatio is { } r and >= 0 and <= 1
                ? (int)Math.Round(r * 1_000_000, MidpointRounding.AwayFromZero)
                : RunSettings.DefaultMaxFailedItemsPerMillion);
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
            Int(m, "maxReviewersPerItem", errors),
            Double(m, "maxFailedItemsRatio", errors));
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
