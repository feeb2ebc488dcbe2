using SynthPref.Orchestration.Pairs;

namespace SynthPref.Orchestration.Agreement;

/// <summary>One human label on one sampled item, set against the judge's final verdict for that pair.</summary>
public sealed record Vote(string Category, Preference Human, Preference Judge);

public sealed record AgreementStats(
    int Votes,
    int Agree,
    double? Rate,
    double[]? Ci95,
    int VotesExcludingTies,
    double? RateExcludingTies,
    double? Kappa);

/// <summary>ByJudge: the same figures as Overall, from each judge's own final verdict on judge pairs (null in reports
/// built before juries).</summary>
public sealed record AgreementReport(
    AgreementStats Overall,
    IReadOnlyDictionary<string, AgreementStats> ByCategory,
    IReadOnlyList<string> MostDivergent,
    IReadOnlyDictionary<string, AgreementStats>? ByJudge = null);
