using SynthPref.Orchestration.Agreement;
using SynthPref.Orchestration.Audit;
using SynthPref.Orchestration.Llm;
using SynthPref.Orchestration.Pairs;

namespace SynthPref.Orchestration.Reporting;

/// <summary>FailedItems: items with a step that still failed after retries; FirstFailure says why.</summary>
public sealed record PairCounts(int Total, IReadOnlyDictionary<string, int> BySource, int Unparseable, int Ties, int PositionInconsistent,
    int FailedItems = 0, string? FirstFailure = null);

public sealed record ReviewCounts(int SampledItems, int Reviewers, int Votes, string EndedBy);

/// <summary>LLM use by role ("judge", "reviser", "policy"): requests asked for, calls really made, what the cache
/// answered, and the tokens of the calls made.</summary>
public sealed record CostReport(IReadOnlyDictionary<string, TokenUsage> Tokens);

public sealed record TokenUsage(int Requests, int Calls, int CacheHits, long InputTokens, long OutputTokens)
{
    public static TokenUsage From(LlmUsage usage) =>
        new(usage.Requests, usage.Calls, usage.CacheHits, usage.InputTokens, usage.OutputTokens);
}

public sealed record RunReport(
    string RunId,
    string? Name,
    PairCounts Pairs,
    BiasReport Bias,
    ReviewCounts Review,
    AgreementReport Agreement,
    IReadOnlyDictionary<string, AgreementStats> AgreementBySource,
    int DatasetRows,
    CostReport Cost,
    FailureReport? Failures = null);

/// <summary>Every item step that failed, with its error, in item order (the HTML report shows the first
/// <see cref="HtmlReport.FailuresShown"/>).</summary>
public sealed record FailureReport(int Total, IReadOnlyList<ItemFailure> Items);

/// <summary>What a finished report came to, and where its deliverables are ("container/path").</summary>
public sealed record ReportOutputs(int Pairs, int DatasetRows, string ReportJson, string ReportHtml, string Dataset);
