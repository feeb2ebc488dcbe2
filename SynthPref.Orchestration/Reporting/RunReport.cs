using SynthPref.Orchestration.Agreement;
using SynthPref.Orchestration.Audit;

namespace SynthPref.Orchestration.Reporting;

public sealed record PairCounts(int Total, IReadOnlyDictionary<string, int> BySource, int Unparseable, int Ties, int PositionInconsistent);

public sealed record ReviewCounts(int SampledItems, int Reviewers, int Votes, string EndedBy);

public sealed record RunReport(
    string RunId,
    string? Name,
    PairCounts Pairs,
    BiasReport Bias,
    ReviewCounts Review,
    AgreementReport Agreement,
    int DatasetRows);
