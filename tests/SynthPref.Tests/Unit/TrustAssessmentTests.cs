using SynthPref.Orchestration.Judging;
using SynthPref.Orchestration.Pairs;
using SynthPref.Orchestration.Reporting;
using SynthPref.Orchestration.Reviews;
using SynthPref.Orchestration.Settings;
using SynthPref.Orchestration.Trust;
using static SynthPref.Orchestration.Judging.Preference;

namespace SynthPref.Tests.Unit;

/// <summary>
/// A run's trust block and its dataset, worked by hand. One judge ("default"); trust target 0.05, alpha 0.1.
///   p0 A high (3 points), round 1, label A          calibration, agrees
///   p1 A high (3),        round 1, label B          calibration, misses
///   p2 B high (3),        not reviewed
///   p3 A low (1),         round 1, labels A and B   calibration, no majority: misses
///   p4 B low (1),         not reviewed
///   p5 A medium (2),      round 2 (escalation), label B
///   p6 tie,               round 1, label A          not decisive, so no calibration item
///   p7 revision A, p8 unparseable.
/// Levels: ≥3: 1 of 2, lower = 1 − 0.9^(1/2) = 0.0513 ≥ 0.05, accepted; ≥1: 1 of 3, lower = 1 − 0.9^(1/3) = 0.0345, fails.
/// Threshold 3: trusted p0, p1, p2 of the six decisive judge pairs (coverage 50%; all six are at ≥1); escalated p3, p4, p5.
/// Dataset: p0 people A, p1 people B, p2 judges B, p5 people B, p6 people A, p7 as today; p3 left out (no majority);
/// escalated.jsonl: p4. Escalated pairs reviewed: p3 and p5; decided: p5, the other way from the judges.
/// </summary>
public sealed class TrustAssessmentTests
{
    static PreferencePair Judge(int index, Preference verdict, Confidence? confidence, int? points) =>
        PairFactory.Pair(verdict, itemIndex: index, confidence: confidence, responseA: $"a{index}", responseB: $"b{index}") with { TrustPoints = points };

    static readonly PreferencePair[] Pairs =
    [
        Judge(0, A, Confidence.High, 3), Judge(1, A, Confidence.High, 3), Judge(2, B, Confidence.High, 3), Judge(3, A, Confidence.Low, 1),
        Judge(4, B, Confidence.Low, 1), Judge(5, A, Confidence.Medium, 2), Judge(6, Tie, Confidence.Low, null),
        PairFactory.Pair(A, source: PairSource.Revision, itemIndex: 7, responseA: "revised", responseB: "original"),
        Judge(8, Unparseable, null, null),
    ];

    static readonly ReviewedPair[] Reviewed =
    [
        Labelled(Pairs[0], 1, A), Labelled(Pairs[1], 1, B), Labelled(Pairs[3], 1, A, B), Labelled(Pairs[5], 2, B), Labelled(Pairs[6], 1, A),
    ];

    /// <summary>A reviewed pair with one reviewer per label (r1, r2, …).</summary>
    static ReviewedPair Labelled(PreferencePair pair, int round, params Preference[] labels) =>
        new(pair, round, labels.Select((label, i) => new ReviewerLabel($"r{i + 1}", label)).ToList());

    static readonly ReviewRound[] Rounds =
    [
        new(1, 4, new Dictionary<string, int> { ["general"] = 4 }),
        new(2, 1, new Dictionary<string, int> { ["general"] = 1 }, Escalation: new EscalationDraw(3, 2, 1)),
    ];

    internal static TrustOutcome Assess() =>
        TrustAssessment.Assess(Pairs, Reviewed, new TrustOptions(0.05, 0.1, Escalation.Review, MaxEscalatedReviews: 1), ["default"], Rounds, ReviewEnd.Complete);

    [Fact]
    public void The_trust_block_has_the_hand_worked_levels_threshold_and_split()
    {
        var trust = Assess().Report;

        Assert.Equal((0.05, 0.1, 3), (trust.Target, trust.Alpha, trust.CalibrationItems));
        Assert.Equal([(3, 2, 1, 2, 1), (1, 3, 1, 1, 0)], trust.Levels.Select(l => (l.Points, l.Items, l.Agree, l.ItemsAt, l.AgreeAt)));
        Assert.Equal(1 - Math.Sqrt(0.9), trust.Levels[0].Lower, 10);
        Assert.Equal(1 - Math.Pow(0.9, 1.0 / 3), trust.Levels[1].Lower, 10);
        Assert.Equal([0.5, 1 / 3.0], trust.Levels.Select(l => l.Rate));
        Assert.Equal([true, false], trust.Levels.Select(l => l.Accepted));
        Assert.Equal([0.5, 1.0], trust.Levels.Select(l => l.Coverage));
        Assert.Equal(3, trust.Threshold);
        Assert.Equal((6, 3, 3, 0.5), (trust.DecisivePairs, trust.TrustedPairs, trust.EscalatedPairs, trust.Coverage));
        Assert.Equal("3 of 6 pairs (50.0%) are trusted: on the 3 reviewed, pairs at or above 3 trust points agreed with people 50.0% " +
                     "of the time (lower bound 5.1% at 90% confidence; target 5%)", trust.Statement);
        Assert.Equal(new TrustDataset(JudgeLabelled: 2, HumanLabelled: 4, NoMajority: 1, EscalatedRows: 1), trust.Dataset);
    }

    [Fact]
    public void Each_judges_stated_confidence_is_set_against_the_reviewers_majority()
    {
        var judge = Assert.Single(Assess().Report.Judges);
        Assert.Equal("default", judge.Judge);
        Assert.Equal([("high", 2, 1), ("medium", 0, 0), ("low", 1, 0)], judge.ByConfidence.Select(c => (c.Confidence, c.Items, c.Agree)));
        Assert.Equal([0.5, null, 0.0], judge.ByConfidence.Select(c => c.Rate));
        Assert.Null(judge.ByConfidence[1].Ci95);
        Assert.Equal(0, judge.Unstated);
    }

    [Fact]
    public void The_escalation_counts_the_escalated_pairs_people_reviewed_and_overturned()
    {
        var escalation = Assess().Report.Escalation;
        Assert.Equal(("review", 1, 2, 1, 3), (escalation.Mode, escalation.MaxEscalatedReviews, escalation.Round, escalation.RoundItems, escalation.ThresholdAtDraw));
        Assert.Equal((2, 1, 1, 1), (escalation.Reviewed, escalation.Decided, escalation.Overturned, escalation.Unreviewed));
        Assert.Equal("The escalation round sent people 1 of the 2 escalated pairs no reviewer had labelled (maxEscalatedReviews 1, most trust " +
                     "points first). People labelled 2 of the 3 escalated pairs: 1 with a decisive majority, 1 of them decided the other way " +
                     "from the judges; 1 no reviewer labelled is in escalated.jsonl.", escalation.Statement);
    }

    [Fact]
    public void The_dataset_keeps_trusted_pairs_and_the_pairs_people_decided_and_escalated_jsonl_the_rest()
    {
        var outcome = Assess();
        Assert.Equal([(0, A, LabelSource.Human), (1, B, LabelSource.Human), (2, B, LabelSource.Judge), (5, B, LabelSource.Human),
            (6, A, LabelSource.Human), (7, A, LabelSource.Judge)], outcome.Dataset.Select(d => (d.Pair.ItemIndex, d.Chosen, d.Source)));
        Assert.Equal([4], outcome.Escalated.Select(p => p.ItemIndex));

        var lines = TrlDataset.ToJsonLines(outcome.Dataset).ToList();
        Assert.Equal("""{"prompt":"prompt","chosen":"b1","rejected":"a1","id":"item-1","category":"general","source":"judge","confidence":null,"label_source":"human"}""", lines[1]);
        Assert.Equal("""{"prompt":"prompt","chosen":"b2","rejected":"a2","id":"item-2","category":"general","source":"judge","confidence":"high","label_source":"judge"}""", lines[2]);
        Assert.Equal("""{"prompt":"prompt","chosen":"revised","rejected":"original","id":"item-7","category":"general","source":"revision","confidence":null,"label_source":"judge"}""", lines[5]);
        Assert.Equal("""{"prompt":"prompt","chosen":"b4","rejected":"a4","id":"item-4","category":"general","source":"judge","confidence":"low","label_source":"judge","trust_points":1,"input_id":"item-4"}""",
            Assert.Single(TrlDataset.EscalatedJsonLines(outcome.Escalated)));
    }

    [Fact]
    public void Without_an_accepted_level_every_decisive_pair_is_escalated_and_the_statement_says_why()
    {
        var none = TrustAssessment.Assess(Pairs, Reviewed, new TrustOptions(0.9), ["default"], [Rounds[0]], ReviewEnd.Closed).Report;
        Assert.Null(none.Threshold);
        Assert.Equal((0, 6, 0.0), (none.TrustedPairs, none.EscalatedPairs, none.Coverage));
        Assert.Equal("No pair is trusted: on the 3 reviewed, even the pairs at the top level of 3 trust points agreed with people 50.0% of " +
                     "the time (lower bound 5.1% at 90% confidence), under the target of 90%; all 6 pairs are escalated.", none.Statement);
        Assert.Equal(("none", null, null), (none.Escalation.Mode, none.Escalation.MaxEscalatedReviews, none.Escalation.Round));

        var closed = TrustAssessment.Assess(Pairs, Reviewed, new TrustOptions(0.9, Escalate: Escalation.Review), ["default"], [Rounds[0]], ReviewEnd.Closed).Report;
        Assert.StartsWith("No escalation round was drawn: review ended by closed before its last round was complete.", closed.Escalation.Statement);

        var unreviewed = TrustAssessment.Assess(Pairs, [], new TrustOptions(0.8), ["default"], [], ReviewEnd.Deadline).Report;
        Assert.Equal("No pair is trusted: no judge pair of the first review sample has a label and a decisive verdict, so nothing calibrates " +
                     "the trust points; all 6 pairs are escalated.", unreviewed.Statement);
        Assert.Empty(unreviewed.Levels);
    }
}
