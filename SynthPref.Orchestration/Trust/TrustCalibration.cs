using SynthPref.Orchestration.Judging;
using SynthPref.Orchestration.Pairs;
using SynthPref.Orchestration.Reviews;
using SynthPref.Orchestration.Settings;
using SynthPref.Orchestration.Statistics;

namespace SynthPref.Orchestration.Trust;

/// <summary>A run's trust options: the agreement with people the trusted pairs must be shown to reach, at confidence
/// 1 − Alpha, and the escalation.</summary>
public sealed record TrustOptions(double Target, double Alpha = RunSettings.DefaultTrustAlpha, Escalation Escalate = Escalation.None,
    int MaxEscalatedReviews = RunSettings.DefaultMaxEscalatedReviews)
{
    /// <summary>The run's trust options; null without trustTarget.</summary>
    public static TrustOptions? Of(RunSettings settings) =>
        settings.TrustTarget is { } target ? new TrustOptions(target, settings.TrustAlpha, settings.Escalate, settings.MaxEscalatedReviews) : null;
}

/// <summary>
/// Calibrating the trust points on people, as "Trust or Escalate" (Jung et al., ICLR 2025) does: the levels are the
/// trust points the calibration items have, each with the agreement of the items at or above it and its exact lower
/// bound; fixed-sequence testing accepts levels from the highest down while the bound meets the target and stops at
/// the first that does not, so the threshold needs no correction for the levels it tried.
/// </summary>
public static class TrustCalibration
{
    public const double DefaultAlpha = RunSettings.DefaultTrustAlpha;
    public const int DefaultMaxEscalatedReviews = RunSettings.DefaultMaxEscalatedReviews;

    /// <summary>The sampling round whose items are calibration items: the first, drawn in proportion to the strata.
    /// Later rounds are drawn where agreement was uncertain, or below the threshold, so they would bias the rates.</summary>
    public const int CalibrationRound = 1;

    /// <summary>The judge pairs of the first review round with at least one label and a decisive verdict.</summary>
    public static IReadOnlyList<ReviewedPair> CalibrationItems(IEnumerable<ReviewedPair> reviewed) =>
        reviewed.Where(r => r.Round == CalibrationRound && r.Labels.Count > 0 && r.Pair.Source == PairSource.Judge && r.Pair.IsDecisive
                && r.Pair.TrustPoints is not null)
            .ToList();

    /// <summary>The decisive judge pairs: the pairs that can be trusted or escalated.</summary>
    public static IReadOnlyList<PreferencePair> DecisiveJudgePairs(IEnumerable<PreferencePair> pairs) =>
        pairs.Where(IsDecisiveJudgePair).ToList();

    /// <summary>
    /// The levels, highest first: for each distinct trust points p of the calibration items, Items and Agree over the
    /// items with points ≥ p, ItemsAt and AgreeAt over those with exactly p, Rate = Agree / Items, and Lower, the
    /// one-sided Clopper–Pearson bound at confidence 1 − alpha. Accepted: the fixed-sequence walk reached the level and
    /// its bound met the target. Pairs and Coverage: the decisive judge pairs at or above p, and their share of all of
    /// them (null when there are none).
    /// </summary>
    public static IReadOnlyList<TrustLevel> Levels(IReadOnlyList<(int Points, bool Agrees)> calibration, IReadOnlyList<int> decisivePoints,
        double target, double alpha)
    {
        ArgumentNullException.ThrowIfNull(decisivePoints);
        return Levels(calibration, PointCounts(decisivePoints), target, alpha);
    }

    /// <summary>How many of <paramref name="points"/> have each value: the decisive judge pairs as the levels need them.</summary>
    public static IReadOnlyDictionary<int, int> PointCounts(IEnumerable<int> points)
    {
        ArgumentNullException.ThrowIfNull(points);
        var counts = new SortedDictionary<int, int>();
        foreach (var p in points) counts[p] = counts.GetValueOrDefault(p) + 1;
        return counts;
    }

    /// <summary><see cref="Levels(IReadOnlyList{ValueTuple{int, bool}}, IReadOnlyList{int}, double, double)"/> with the
    /// decisive judge pairs given as how many have each trust points, so a run of any size is counted in one pass.</summary>
    public static IReadOnlyList<TrustLevel> Levels(IReadOnlyList<(int Points, bool Agrees)> calibration, IReadOnlyDictionary<int, int> decisivePoints,
        double target, double alpha)
    {
        ArgumentNullException.ThrowIfNull(calibration);
        ArgumentNullException.ThrowIfNull(decisivePoints);
        var decisive = decisivePoints.Values.Sum();
        var levels = new List<TrustLevel>();
        var walking = true;
        foreach (var points in calibration.Select(c => c.Points).Distinct().OrderDescending())
        {
            int items = 0, agree = 0, itemsAt = 0, agreeAt = 0;
            foreach (var (p, agrees) in calibration)
            {
                if (p < points) continue;
                items++;
                if (agrees) agree++;
                if (p != points) continue;
                itemsAt++;
                if (agrees) agreeAt++;
            }
            var lower = ClopperPearson.Lower(agree, items, alpha);
            // Stops at the first failure for good: a lower level that passes after it is not accepted.
            walking = walking && lower >= target;
            var pairs = decisivePoints.Where(kv => kv.Key >= points).Sum(kv => kv.Value);
            levels.Add(new TrustLevel(points, items, agree, itemsAt, agreeAt, (double)agree / items, lower, walking, pairs,
                decisive == 0 ? null : (double)pairs / decisive));
        }
        return levels;
    }

    /// <summary>The lowest accepted level, or null when the highest already fails (or there is no level).</summary>
    public static int? Threshold(IReadOnlyList<TrustLevel> levels) =>
        levels.LastOrDefault(l => l.Accepted)?.Points;

    /// <summary>Whether a decisive judge pair is trusted under the threshold (none: no pair is).</summary>
    public static bool IsTrusted(PreferencePair pair, int? threshold) =>
        threshold is { } t && pair.TrustPoints is { } points && points >= t;

    /// <summary>The threshold the labels in storage give now: what the escalation round is drawn against.</summary>
    public static int? ThresholdOf(IReadOnlyDictionary<int, int> decisivePoints, IReadOnlyList<ReviewedPair> reviewed, double target, double alpha) =>
        Threshold(Levels(CalibrationItems(reviewed).Select(r => (r.Pair.TrustPoints!.Value, r.Agrees)).ToList(), decisivePoints, target, alpha));

    /// <summary>The escalated pairs no reviewer has labelled, most trust points first, ties broken by pair id: the order
    /// the escalation round takes them in. <see cref="EscalationTally"/> finds the same first ones in one pass.</summary>
    public static IReadOnlyList<PreferencePair> EscalationCandidates(IReadOnlyList<PreferencePair> pairs, int? threshold,
        IReadOnlySet<string> labelledOrSampled) =>
        DecisiveJudgePairs(pairs)
            .Where(p => !IsTrusted(p, threshold) && !labelledOrSampled.Contains(p.PairId))
            .OrderByDescending(p => p.TrustPoints)
            .ThenBy(p => p.PairId, StringComparer.Ordinal)
            .ToList();

    /// <summary>Whether a pair can be trusted or escalated: a decisive judge pair with trust points.</summary>
    public static bool IsDecisiveJudgePair(PreferencePair pair) =>
        pair.Source == PairSource.Judge && pair.IsDecisive && pair.TrustPoints is not null;
}

/// <summary>
/// The escalation round's inputs in one pass over a run's pairs, before the threshold is known: how many decisive judge
/// pairs have each trust points (for the levels), and for each trust points the unsampled ones, counted, with the first
/// <c>keep</c> by pair id kept. Whatever the threshold, the round takes the levels under it from the highest down, each
/// in pair-id order, so those kept are enough to draw it exactly as over the whole list.
/// </summary>
public sealed class EscalationTally(int keep)
{
    readonly SortedDictionary<int, int> decisive = new();
    readonly SortedDictionary<int, int> unsampled = new();
    readonly Dictionary<int, SortedSet<string>> first = new();

    /// <summary>How many decisive judge pairs have each trust points.</summary>
    public IReadOnlyDictionary<int, int> DecisivePoints => decisive;

    /// <param name="sampled">Whether the pair already has a review item (and so its reviewers).</param>
    public void Add(PreferencePair pair, bool sampled)
    {
        ArgumentNullException.ThrowIfNull(pair);
        if (!TrustCalibration.IsDecisiveJudgePair(pair)) return;
        var points = pair.TrustPoints!.Value;
        decisive[points] = decisive.GetValueOrDefault(points) + 1;
        if (sampled) return;
        unsampled[points] = unsampled.GetValueOrDefault(points) + 1;
        if (!first.TryGetValue(points, out var ids)) first[points] = ids = new SortedSet<string>(StringComparer.Ordinal);
        ids.Add(pair.PairId);
        if (ids.Count > keep) ids.Remove(ids.Max!);
    }

    /// <summary>How many unsampled pairs the threshold escalates, and the first of them (at most <c>keep</c>) in the
    /// order the round takes them: most trust points first, then by pair id.</summary>
    public (int Count, IReadOnlyList<string> First) Candidates(int? threshold)
    {
        var count = 0;
        var taken = new List<string>();
        foreach (var (points, n) in unsampled.Reverse())
        {
            if (threshold is { } t && points >= t) continue;
            count += n;
            taken.AddRange(first[points].Take(keep - taken.Count));
        }
        return (count, taken);
    }
}
