using System.Globalization;
using SynthPref.Orchestration.Judging;
using SynthPref.Orchestration.Pairs;
using SynthPref.Orchestration.Reviews;
using SynthPref.Orchestration.Settings;
using SynthPref.Orchestration.Statistics;

namespace SynthPref.Orchestration.Trust;

/// <summary>Who chose a dataset row's "chosen" response.</summary>
public enum LabelSource { Judge, Human }

/// <summary>A dataset row: the pair, the response chosen (A or B, in the pair's terms) and who chose it.</summary>
public sealed record LabelledPair(PreferencePair Pair, Preference Chosen, LabelSource Source);

/// <summary>The trust block and what it makes of the pairs: the dataset rows in order, and the escalated pairs no
/// reviewer labelled.</summary>
public sealed record TrustOutcome(TrustReport Report, IReadOnlyList<LabelledPair> Dataset, IReadOnlyList<PreferencePair> Escalated);

/// <summary>
/// The run's trust, from its pairs and the labels as they stood when review ended: the calibration, the threshold, the
/// split into trusted and escalated pairs, and the dataset it implies. The dataset holds the trusted judge pairs and
/// every reviewed judge pair whose reviewers' majority is A or B, labelled by them whatever its trust points; a reviewed
/// pair without a decisive majority is left out (people could not agree on it), and revision pairs are kept as without
/// trust.
/// </summary>
/// <summary>The calibration of a run's trust points: its items, levels and threshold, and how many decisive judge pairs
/// there are and how many of them the threshold trusts.</summary>
public sealed record TrustCalibrated(IReadOnlyList<ReviewedPair> Calibration, IReadOnlyList<TrustLevel> Levels, int? Threshold, int Decisive,
    int Trusted);

/// <summary>What becomes of one pair: a dataset row, an escalated pair no reviewer labelled, or neither.</summary>
public readonly record struct TrustedOrEscalated(LabelledPair? Row, bool Escalated);

/// <summary>
/// The split of a run's pairs under a threshold, one pair at a time in item order, counting what it makes of them: the
/// trusted judge pairs and every reviewed judge pair whose reviewers' majority is A or B are dataset rows (the latter
/// labelled by people), a reviewed pair without a decisive majority is left out, the other decisive judge pairs are
/// escalated, and revision pairs are rows as without trust.
/// </summary>
public sealed class TrustSplit(IReadOnlyList<ReviewedPair> reviewed, int? threshold)
{
    readonly Dictionary<string, ReviewedPair> byPair = reviewed.GroupBy(r => r.Pair.PairId, StringComparer.Ordinal)
        .ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);

    public int JudgeRows { get; private set; }
    public int HumanRows { get; private set; }
    public int NoMajority { get; private set; }
    public int EscalatedRows { get; private set; }

    public TrustedOrEscalated Add(PreferencePair pair)
    {
        ArgumentNullException.ThrowIfNull(pair);
        if (pair.Source == PairSource.Revision)
            return pair.IsDecisive && !pair.RevisionRegression ? Row(new LabelledPair(pair, pair.Verdict, LabelSource.Judge)) : default;
        if (byPair.TryGetValue(pair.PairId, out var review) && review.Labels.Count > 0)
        {
            if (review.Decided) return Row(new LabelledPair(pair, review.Majority!.Value, LabelSource.Human));
            NoMajority++;
            return default;
        }
        if (TrustCalibration.IsTrusted(pair, threshold))
            return Row(new LabelledPair(pair, pair.Verdict, LabelSource.Judge));
        if (pair.IsDecisive && pair.TrustPoints is not null)
        {
            EscalatedRows++;
            return new TrustedOrEscalated(null, true);
        }
        return default;
    }

    TrustedOrEscalated Row(LabelledPair row)
    {
        // A pair with an empty or identical response is never a row, whoever chose (PreferencePair.DatasetExclusion).
        if (row.Pair.DatasetExclusion is not null) return default;
        if (row.Source == LabelSource.Human) HumanRows++;
        else JudgeRows++;
        return new TrustedOrEscalated(row, false);
    }
}

public static class TrustAssessment
{
    static readonly (Confidence Level, string Name)[] Stated = [(Confidence.High, "high"), (Confidence.Medium, "medium"), (Confidence.Low, "low")];

    /// <summary>The whole assessment over pairs in memory: <see cref="Calibrate"/>, every pair through a
    /// <see cref="TrustSplit"/> in item order, then <see cref="Report"/>, as the report does streaming.</summary>
    public static TrustOutcome Assess(IReadOnlyList<PreferencePair> pairs, IReadOnlyList<ReviewedPair> reviewed, TrustOptions options,
        IReadOnlyList<string> judges, IReadOnlyList<ReviewRound> rounds, ReviewEnd reviewEndedBy)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        var calibrated = Calibrate(reviewed, TrustCalibration.PointCounts(TrustCalibration.DecisiveJudgePairs(pairs).Select(p => p.TrustPoints!.Value)),
            options);
        var split = new TrustSplit(reviewed, calibrated.Threshold);
        var dataset = new List<LabelledPair>();
        var escalated = new List<PreferencePair>();
        foreach (var pair in pairs.Order(Pairs.PairStore.ItemOrder))
        {
            switch (split.Add(pair))
            {
                case { Row: { } row }: dataset.Add(row); break;
                case { Escalated: true }: escalated.Add(pair); break;
            }
        }
        return new TrustOutcome(Report(calibrated, split, reviewed, options, judges, rounds, reviewEndedBy), dataset, escalated);
    }

    /// <summary>The calibration from the reviewed pairs and how many decisive judge pairs have each trust points: its
    /// items, levels, threshold, and how many pairs it trusts.</summary>
    public static TrustCalibrated Calibrate(IReadOnlyList<ReviewedPair> reviewed, IReadOnlyDictionary<int, int> decisivePoints, TrustOptions options)
    {
        ArgumentNullException.ThrowIfNull(reviewed);
        ArgumentNullException.ThrowIfNull(decisivePoints);
        ArgumentNullException.ThrowIfNull(options);
        var calibration = TrustCalibration.CalibrationItems(reviewed);
        var levels = TrustCalibration.Levels(calibration.Select(c => (c.Pair.TrustPoints!.Value, c.Agrees)).ToList(), decisivePoints,
            options.Target, options.Alpha);
        var threshold = TrustCalibration.Threshold(levels);
        var trusted = threshold is { } t ? decisivePoints.Where(kv => kv.Key >= t).Sum(kv => kv.Value) : 0;
        return new TrustCalibrated(calibration, levels, threshold, decisivePoints.Values.Sum(), trusted);
    }

    /// <summary>The trust block, once every pair has been through <paramref name="split"/>.</summary>
    public static TrustReport Report(TrustCalibrated calibrated, TrustSplit split, IReadOnlyList<ReviewedPair> reviewed, TrustOptions options,
        IReadOnlyList<string> judges, IReadOnlyList<ReviewRound> rounds, ReviewEnd reviewEndedBy)
    {
        ArgumentNullException.ThrowIfNull(calibrated);
        ArgumentNullException.ThrowIfNull(split);
        ArgumentNullException.ThrowIfNull(reviewed);
        ArgumentNullException.ThrowIfNull(options);
        var (levels, threshold, decisive, trusted) = (calibrated.Levels, calibrated.Threshold, calibrated.Decisive, calibrated.Trusted);
        // A pair has one review item, so each reviewed pair is one escalated pair people labelled.
        var escalatedReviewed = reviewed.Where(r => TrustCalibration.IsDecisiveJudgePair(r.Pair) && !TrustCalibration.IsTrusted(r.Pair, threshold)
            && r.Labels.Count > 0).DistinctBy(r => r.Pair.PairId, StringComparer.Ordinal).ToList();
        var round = rounds.LastOrDefault(r => r.Escalation is not null);
        var escalation = new EscalationReport(
            options.Escalate == Escalation.Review ? "review" : "none",
            options.Escalate == Escalation.Review ? options.MaxEscalatedReviews : null,
            round?.Round,
            round?.SampledItems ?? 0,
            round?.Escalation?.Threshold,
            escalatedReviewed.Count,
            escalatedReviewed.Count(r => r.Decided),
            escalatedReviewed.Count(r => r.Decided && r.Majority != r.Pair.Verdict),
            split.EscalatedRows,
            "");
        escalation = escalation with { Statement = EscalationStatement(escalation, decisive - trusted, round, reviewEndedBy) };

        return new TrustReport(
            options.Target,
            options.Alpha,
            calibrated.Calibration.Count,
            levels,
            threshold,
            decisive,
            trusted,
            decisive - trusted,
            decisive == 0 ? null : (double)trusted / decisive,
            Statement(options, calibrated.Calibration.Count, levels, threshold, decisive, trusted),
            new TrustDataset(split.JudgeRows, split.HumanRows, split.NoMajority, split.EscalatedRows),
            Reliability(judges, calibrated.Calibration),
            escalation);
    }

    /// <summary>For each judge and stated confidence: the calibration items where the judge's final verdict stated it,
    /// and how often that verdict (a tie included) was the reviewers' majority label.</summary>
    public static IReadOnlyList<JudgeReliability> Reliability(IReadOnlyList<string> judges, IReadOnlyList<ReviewedPair> calibration) =>
        judges.Select(judge =>
        {
            var own = calibration
                .Select(c => (Verdict: c.Pair.JudgeVerdicts.FirstOrDefault(j => j.Name == judge), c.Majority))
                .Where(v => v.Verdict is { Verdict: not Preference.Unparseable })
                .ToList();
            var byConfidence = Stated.Select(s =>
            {
                var stated = own.Where(v => v.Verdict!.Confidence == s.Level).ToList();
                var agree = stated.Count(v => v.Majority == v.Verdict!.Verdict);
                return new ConfidenceReliability(s.Name, stated.Count, agree, stated.Count == 0 ? null : (double)agree / stated.Count,
                    stated.Count == 0 ? null : WilsonInterval.Of(agree, stated.Count));
            }).ToList();
            return new JudgeReliability(judge, byConfidence, own.Count(v => v.Verdict!.Confidence is null));
        }).ToList();

    /// <summary>The block's one-line statement: how many pairs are trusted, and the evidence at the threshold.</summary>
    public static string Statement(TrustOptions options, int calibrationItems, IReadOnlyList<TrustLevel> levels, int? threshold, int decisive,
        int trusted)
    {
        if (decisive == 0)
            return "The run has no decisive judge pair, so there is nothing to trust or escalate.";
        var all = decisive == 1 ? "the one pair is escalated" : $"all {Count(decisive)} pairs are escalated";
        if (levels.Count == 0)
            return "No pair is trusted: no judge pair of the first review sample has a label and a decisive verdict, so nothing " +
                   $"calibrates the trust points; {all}.";
        var confidence = Share(1 - options.Alpha);
        if (threshold is not { } t)
        {
            var top = levels[0];
            return $"No pair is trusted: on the {Count(calibrationItems)} reviewed, even the pairs at the top level of {Points(top.Points)} " +
                   $"agreed with people {Percent(top.Rate)} of the time (lower bound {Percent(top.Lower)} at {confidence} confidence), " +
                   $"under the target of {Share(options.Target)}; {all}.";
        }
        var level = levels.First(l => l.Points == t);
        return $"{Count(trusted)} of {Count(decisive)} {(decisive == 1 ? "pair" : "pairs")} ({Percent((double)trusted / decisive)}) " +
               $"{(trusted == 1 ? "is" : "are")} trusted: on the {Count(calibrationItems)} reviewed, pairs at or above {Points(t)} agreed " +
               $"with people {Percent(level.Rate)} of the time (lower bound {Percent(level.Lower)} at {confidence} confidence; target {Share(options.Target)})";
    }

    static string EscalationStatement(EscalationReport e, int escalated, ReviewRound? round, ReviewEnd reviewEndedBy)
    {
        var drawn = e.Mode != "review" ? ""
            : round?.Escalation is { } draw
                ? $"The escalation round sent people {Count(draw.Drawn)} of the {Count(draw.EscalatedUnreviewed)} escalated " +
                  $"{(draw.EscalatedUnreviewed == 1 ? "pair" : "pairs")} no reviewer had labelled" +
                  (draw.Drawn < draw.EscalatedUnreviewed ? $" (maxEscalatedReviews {Count(e.MaxEscalatedReviews ?? 0)}, most trust points first). " : ". ")
            : reviewEndedBy == ReviewEnd.Complete
                ? "No escalation round was drawn: every escalated pair already had a label. "
                : $"No escalation round was drawn: review ended by {reviewEndedBy.Spelling()} before its last round was complete. ";
        if (escalated == 0) return drawn + "No pair is escalated.";
        return drawn + $"People labelled {Count(e.Reviewed)} of the {Count(escalated)} escalated {(escalated == 1 ? "pair" : "pairs")}: " +
               $"{Count(e.Decided)} with a decisive majority, {Count(e.Overturned)} of them decided the other way from the judges; " +
               $"{Count(e.Unreviewed)} no reviewer labelled {(e.Unreviewed == 1 ? "is" : "are")} in escalated.jsonl.";
    }

    static string Points(int points) => points == 1 ? "1 trust point" : $"{Count(points)} trust points";

    static string Count(int n) => n.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>As the report's page writes shares: one decimal.</summary>
    public static string Percent(double share) => (share * 100).ToString("F1", CultureInfo.InvariantCulture) + "%";

    /// <summary>An option's share as given: 0.8 is 80%, 0.975 is 97.5%.</summary>
    static string Share(double share) => Math.Round(share * 100, 6).ToString("0.####", CultureInfo.InvariantCulture) + "%";
}
