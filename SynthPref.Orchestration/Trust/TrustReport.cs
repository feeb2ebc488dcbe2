
namespace SynthPref.Orchestration.Trust;

/// <summary>
/// The report's trust block. Target and Alpha: the run's trustTarget and trustAlpha. CalibrationItems: judge pairs of
/// the first review round with a label and a decisive verdict. Levels: see <see cref="TrustCalibration.Levels"/>.
/// Threshold: the lowest accepted level (null: none). Trusted and escalated pairs split the decisive judge pairs at the
/// threshold; Coverage = TrustedPairs / DecisivePairs. Dataset: how dataset.jsonl and escalated.jsonl came out.
/// Judges: each judge's stated confidence against the reviewers' majority on the calibration items.
/// </summary>
public sealed record TrustReport(
    double Target,
    double Alpha,
    int CalibrationItems,
    IReadOnlyList<TrustLevel> Levels,
    int? Threshold,
    int DecisivePairs,
    int TrustedPairs,
    int EscalatedPairs,
    double? Coverage,
    string Statement,
    TrustDataset Dataset,
    IReadOnlyList<JudgeReliability> Judges,
    EscalationReport Escalation);

/// <summary>One trust level (see <see cref="TrustCalibration.Levels"/>).</summary>
public sealed record TrustLevel(int Points, int Items, int Agree, int ItemsAt, int AgreeAt, double Rate, double Lower, bool Accepted,
    int Pairs, double? Coverage);

/// <summary>What the dataset holds with trustTarget: rows labelled by the judges (trusted judge pairs no reviewer
/// labelled, and revision pairs as without trust) and by people (reviewed judge pairs whose reviewers' majority is A or
/// B); NoMajority: reviewed judge pairs left out because their reviewers had no decisive majority; EscalatedRows: the
/// escalated pairs no reviewer labelled, in escalated.jsonl.</summary>
public sealed record TrustDataset(int JudgeLabelled, int HumanLabelled, int NoMajority, int EscalatedRows);

/// <summary>One judge's calibration: for each stated confidence, the calibration items where its final verdict stated
/// it, and how often that verdict was the reviewers' majority label. Unstated: items where it gave a verdict with no
/// confidence.</summary>
public sealed record JudgeReliability(string Judge, IReadOnlyList<ConfidenceReliability> ByConfidence, int Unstated);

/// <summary>Items, Agree, Rate (null without items) and the 95% Wilson interval of one stated confidence.</summary>
public sealed record ConfidenceReliability(string Confidence, int Items, int Agree, double? Rate, double[]? Ci95);

/// <summary>
/// Escalation: Mode "none" or "review"; MaxEscalatedReviews (with review); Round, RoundItems and ThresholdAtDraw: the
/// escalation round, if one was drawn, its items and the threshold it was drawn against. Reviewed: escalated pairs
/// some reviewer labelled (in any round); Decided: those whose reviewers' majority is A or B; Overturned: those decided
/// the other way from the judges. Unreviewed: escalated pairs no reviewer labelled (escalated.jsonl).
/// </summary>
public sealed record EscalationReport(
    string Mode,
    int? MaxEscalatedReviews,
    int? Round,
    int RoundItems,
    int? ThresholdAtDraw,
    int Reviewed,
    int Decided,
    int Overturned,
    int Unreviewed,
    string Statement);
