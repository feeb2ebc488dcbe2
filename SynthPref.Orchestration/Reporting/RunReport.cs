using SynthPref.Orchestration.Agreement;
using SynthPref.Orchestration.Audit;

namespace SynthPref.Orchestration.Reporting;

/// <summary>FailedItems: items with a step that still failed after retries; FirstFailure says why.</summary>
public sealed record PairCounts(int Total, IReadOnlyDictionary<string, int> BySource, int Unparseable, int Ties, int PositionInconsistent,
    int FailedItems = 0, string? FirstFailure = null);

public sealed record ReviewCounts(int SampledItems, int Reviewers, int Votes, string EndedBy);

public sealed record RunReport(
    string RunId,
    string? Name,
    PairCounts Pairs,
    BiasReport Bias,
    ReviewCounts Review,
    AgreementReport Agreement,
    IReadOnlyDictionary<string, AgreementStats> AgreementBySource,
    int DatasetRows);
