namespace SynthPref.Orchestration.Audit;

// Every share below also carries its 95% Wilson interval (Ci95), Significant (the interval excludes 0.5) and
// InsufficientData (fewer than BiasAuditor.MinPairs observations: Warning is then false, whatever the share).

/// <summary>The seed's length check (Decisive, LongerPreferred, EqualLength, Share, Warning) and the length slope over
/// the decisive judge pairs, equal lengths included (SlopePairs); Human is the reviewers' baseline, added by the report.</summary>
public sealed record LengthBias(
    int Decisive,
    int LongerPreferred,
    int EqualLength,
    double? Share,
    bool Warning,
    double[]? Ci95 = null,
    bool Significant = false,
    bool InsufficientData = false,
    double? Slope = null,
    double? PreferenceAtEqualLength = null,
    string? SlopeUnavailable = null,
    int SlopePairs = 0,
    HumanLengthBaseline? Human = null);

/// <summary>
/// The same length measures over the decisive human votes on reviewed judge pairs, one row per vote with first and
/// second mapped back to A and B (Votes; the share over those of unequal length), and beside them the judge's share on
/// the same reviewed items, so "the judge likes length more than people do" reads in one line.
/// </summary>
public sealed record HumanLengthBaseline(
    int Votes,
    int UnequalLengthVotes,
    int LongerPreferred,
    double? Share,
    double[]? Ci95,
    double? Slope,
    double? PreferenceAtEqualLength,
    string? SlopeUnavailable,
    int JudgeDecisive,
    int JudgeLongerPreferred,
    double? JudgeShare);

/// <summary>Position: the share is FirstPreferredRate, over DecisiveCalls positional answers (FirstPreferred chose the
/// text shown first). With a jury, each judge's answers on a pair count as its own observation.</summary>
public sealed record PositionBias(
    int PairsJudgedBothOrders,
    int Inconsistent,
    double? InconsistentRate,
    double? FirstPreferredRate,
    int DecisiveCalls = 0,
    int FirstPreferred = 0,
    double[]? Ci95 = null,
    bool Significant = false,
    bool InsufficientData = false);

/// <summary>Decisive judge verdicts where exactly one response came from that judge's own model.</summary>
public sealed record SelfPreferenceBias(int Pairs, int OwnPreferred, double? Share, bool Warning,
    double[]? Ci95 = null, bool Significant = false, bool InsufficientData = false);

/// <summary>Decisive judge pairs where exactly one response is markdown-formatted (<see cref="FormatFeatures.IsFormatted"/>).</summary>
public sealed record FormatBias(int Pairs, int FormattedPreferred, double? Share, bool Warning,
    double[]? Ci95 = null, bool Significant = false, bool InsufficientData = false);

public sealed record BiasReport(LengthBias Length, PositionBias Position, SelfPreferenceBias SelfPreference, FormatBias Format);
