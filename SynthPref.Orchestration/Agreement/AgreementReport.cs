using SynthPref.Orchestration.Judging;

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
/// built before juries). MostDivergent ranks only the categories with at least MinCategoryVotes votes, lowest rate
/// first; the others are in TooFewVotes, and Ranking says in a sentence what could be ranked. Confusion: votes by
/// judge verdict and human label. Humans: agreement between reviewers, the ceiling the judge is measured against.</summary>
public sealed record AgreementReport(
    AgreementStats Overall,
    IReadOnlyDictionary<string, AgreementStats> ByCategory,
    IReadOnlyList<DivergentCategory> MostDivergent,
    IReadOnlyDictionary<string, AgreementStats>? ByJudge = null,
    ConfusionMatrix? Confusion = null,
    int MinCategoryVotes = AgreementCalculator.DefaultMinCategoryVotes,
    IReadOnlyList<CategoryVotes>? TooFewVotes = null,
    string? Ranking = null,
    HumanAgreement? Humans = null);

/// <summary>A ranked category. DivergesSignificantly: the upper bound of its 95% Wilson interval is below the overall
/// rate, so its lower agreement is unlikely to be the luck of a small sample.</summary>
public sealed record DivergentCategory(string Category, int Votes, int Agree, double Rate, double[] Ci95, bool DivergesSignificantly);

/// <summary>A category with fewer votes than the run's minCategoryVotes, left out of the ranking.</summary>
public sealed record CategoryVotes(string Category, int Votes);

/// <summary>Votes counted by the judge's final verdict (Counts[row], rows A, B, tie) against the human label
/// (Counts[row][column], columns A, B, tie), both in the pair's own A/B terms: a reviewer's first or second is mapped
/// back through the order the item was shown in.</summary>
public sealed record ConfusionMatrix(string Rows, string Columns, IReadOnlyList<string> Labels, IReadOnlyList<IReadOnlyList<int>> Counts)
{
    public int Total => Counts.Sum(r => r.Sum());
}
