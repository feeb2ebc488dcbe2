using System.Text.Json.Serialization;
using SynthPref.Orchestration.Agreement;
using SynthPref.Orchestration.Audit;
using SynthPref.Orchestration.Judging;
using SynthPref.Orchestration.Llm;
using SynthPref.Orchestration.Pairs;
using SynthPref.Orchestration.Reviews;
using SynthPref.Orchestration.Trust;

namespace SynthPref.Orchestration.Reporting;

/// <summary>FailedItems: items with a step that still failed after retries; FirstFailure says why. SkippedForBudget:
/// items never started because the run's token budget was reached.</summary>
public sealed record PairCounts(int Total, IReadOnlyDictionary<string, int> BySource, int Unparseable, int Ties, int PositionInconsistent,
    int FailedItems = 0, string? FirstFailure = null, int SkippedForBudget = 0);

/// <summary>Rounds: each sampling round, the first included (one for a run without targetCiWidth). Adaptive: the
/// target, the cap and why the rounds stopped, for runs with targetCiWidth.</summary>
public sealed record ReviewCounts(int SampledItems, int Reviewers, int Votes, ReviewEnd EndedBy, IReadOnlyList<ReviewRound>? Rounds = null,
    AdaptiveReview? Adaptive = null);

/// <summary>LLM use by role ("judge" or "judge:&lt;name&gt;", "reviser", "policy"): requests asked for, calls really made,
/// what the cache answered, and the tokens of the calls made. Estimated: the cost at the configured prices (null
/// without a Pricing section).</summary>
public sealed record CostReport(IReadOnlyDictionary<string, TokenUsage> Tokens, EstimatedCost? Estimated = null);

/// <summary>Calls are live calls (FailedCalls of them failed); BatchAnswers the requests the run's batches answered,
/// whose tokens are in InputTokens and OutputTokens too and also apart (BatchInputTokens, BatchOutputTokens);
/// BatchFailed the requests batches left unanswered (counted per batch); Unanswered the requests refused a live call
/// because the run took them from the cache only.</summary>
public sealed record TokenUsage(int Requests, int Calls, int CacheHits, long InputTokens, long OutputTokens,
    int BatchAnswers = 0, long BatchInputTokens = 0, long BatchOutputTokens = 0, int BatchFailed = 0, int FailedCalls = 0, int Unanswered = 0)
{
    public static TokenUsage From(LlmUsage usage) =>
        new(usage.Requests, usage.Calls, usage.CacheHits, usage.InputTokens, usage.OutputTokens,
            usage.BatchAnswers, usage.BatchInputTokens, usage.BatchOutputTokens, usage.BatchFailed, usage.FailedCalls, usage.Unanswered);
}

/// <summary>Tokens of calls made (cache hits cost nothing) at each role's model's price, batch answers at its batch
/// price. Unpriced: roles with tokens whose model has no price; their cost is not in Total. AtLivePrices: what the same
/// tokens would have cost at live prices; BatchSaving: AtLivePrices − Total, what batching saved.</summary>
public sealed record EstimatedCost(decimal Total, IReadOnlyDictionary<string, RoleCost> ByRole, IReadOnlyList<string> Unpriced,
    decimal AtLivePrices = 0, decimal BatchSaving = 0);

public sealed record RoleCost(string? Model, decimal InputPerMillion, decimal OutputPerMillion, decimal Cost,
    decimal BatchInputPerMillion = 0, decimal BatchOutputPerMillion = 0, decimal AtLivePrices = 0);

/// <summary>The run's judges: each judge's share of the work, the pairwise agreement between judges, and the first
/// few raw answers no verdict could be read from.</summary>
public sealed record JudgesReport(IReadOnlyList<JudgeSummary> Panel, IReadOnlyList<JudgePairAgreement> Pairwise,
    IReadOnlyList<UnparseableOutput> UnparseableExamples);

/// <summary>StructuredOutput: the run asked this judge for JSON-schema verdicts; FellBackToText: its endpoint refused
/// them, and it answered the text template for the rest of the run.
/// WithoutVerdictLine: its text answers rejected because they had no PREFERENCE line (left out of report.json when none).</summary>
public sealed record JudgeSummary(string Name, string Role, string? Model, int Pairs, int Unparseable, int UnparseableOutputs,
    bool StructuredOutput, bool FellBackToText,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] int WithoutVerdictLine = 0);

/// <summary>One distinct unparseable answer of a judge on an unparseable pair: the first pair that gave it, the judge, the
/// answer (trimmed, shortened; "" for an empty answer) and how many times that judge gave it on such pairs.</summary>
public sealed record UnparseableOutput(string InputId, string Judge, string Output, int Count = 1);

/// <summary>Stored pairs never written to the dataset although judged: a response empty or only white space, and two
/// identical responses (a pair with both counts as empty).</summary>
public sealed record DatasetExclusions(int EmptyResponse, int IdenticalResponses);

/// <summary>categoryKey folded: the mode, and every key several spellings of the input became.</summary>
public sealed record CategoryMerges(string CategoryKey, IReadOnlyList<CategoryMerge> Merges);

/// <summary>One key, the input's spellings it merged, and its pairs.</summary>
public sealed record CategoryMerge(string Key, IReadOnlyList<string> Spellings, int Pairs);

/// <summary>Critique → revise: revision pairs, rounds per pair, the constitution ("default" or the blob the run named),
/// and with verification on, the pairs whose check gave a verdict and those flagged revisionRegression (left out of the
/// dataset). Unverifiable: the check had no parseable verdict.</summary>
public sealed record RevisionReport(int Pairs, int Rounds, string Constitution, bool Verify, int Verified, int Regressions, int Unverifiable);

/// <summary>The run's token budget (null: none), the tokens its calls used, and whether the budget stopped it.</summary>
public sealed record BudgetReport(long? BudgetTokens, long UsedTokens, bool Stopped, int SkippedForBudget);

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
    JudgesReport? Judges = null,
    RevisionReport? Revisions = null,
    BudgetReport? Budget = null,
    FailureReport? Failures = null,
    DisagreementExamples? Examples = null,
    // Only runs with trustTarget have one; the others' report.json stays as it was.
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] TrustReport? Trust = null,
    // Only runs that batched have one; the others' report.json stays as it was.
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] BatchReport? Batch = null,
    // The blocks below are left out when null, so a run they say nothing about keeps its report.json as it was.
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DatasetExclusions? ExcludedFromDataset = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] CategoryMerges? Categories = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] FailureCounts? FailureCounts = null,
    // Only runs with a pair that had or wanted a reference answer have one; the others' report.json stays as it was.
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] ReferenceReport? References = null);

/// <summary>
/// Reference-guided judging: GuidedPairs are the pairs whose judges graded against a reference answer, BySource how many
/// of them had it from the input ("input") and how many from the judge model ("generated"); Unavailable the pairs of
/// a reference category whose reference could not be written, judged without one. WithReference and WithoutReference:
/// the judge–human agreement over the reviewed judge pairs graded with a reference and over those graded without one
/// (revision pairs are left out, as their agreement measures the reviser).
/// </summary>
public sealed record ReferenceReport(int GuidedPairs, IReadOnlyDictionary<string, int> BySource, int Unavailable,
    AgreementStats WithReference, AgreementStats WithoutReference);

/// <summary>
/// A run that batched (null for one that did not): the roles it batched, why its batch phase ended
/// (<see cref="Batch.BatchSummary.EndedBy"/>), its cycles, requests sent by batch (a request sent again counts again), and
/// for the batched roles the requests of the run's steps answered by its batches, by live calls, from the cache
/// (answers paid for before this run), and not at all (Failed: live calls that failed, and requests refused a live
/// call). SentTwice: requests two batches left unanswered, which went live or failed. Batches: each provider batch.
/// </summary>
public sealed record BatchReport(IReadOnlyList<string> Roles, string EndedBy, int Cycles, int RequestsSent, int AnsweredByBatch, int AnsweredLive,
    int AnsweredFromCache, int Failed, int SentTwice, IReadOnlyList<BatchReportRow> Batches);

/// <summary>One provider batch: its cycle, id, role, final state, requests, and those it answered and left unanswered.</summary>
public sealed record BatchReportRow(int Cycle, string Id, string Role, string State, int Requests, int Answered, int Unanswered);

/// <summary>Disagreements between the judge and reviewers to read: FromRankedCategories says whether they come from the
/// most divergent ranked categories (up to three each) or, with nothing ranked, from any category.</summary>
public sealed record DisagreementExamples(bool FromRankedCategories, IReadOnlyList<DisagreementExample> Items);

/// <summary>One reviewed pair some reviewer disagreed with the judge on, its texts shortened; Judge and the labels are in
/// the pair's A/B terms (for a revision pair A is the revised text, B the original).</summary>
public sealed record DisagreementExample(string Category, string InputId, PairSource Source, string Prompt, string ResponseA, string ResponseB,
    Preference Judge, string? Reasoning, IReadOnlyList<ReviewerLabel> Humans);

/// <summary>Every item step that failed, with its error, in item order (the HTML report shows the first
/// <see cref="HtmlReport.FailuresShown"/>).</summary>
public sealed record FailureReport(int Total, IReadOnlyList<ItemFailure> Items);

/// <summary>What a finished report came to, and where its deliverables are ("container/path"). Escalated and
/// EscalatedRows: escalated.jsonl, for runs with trustTarget only.</summary>
public sealed record ReportOutputs(int Pairs, int DatasetRows, string ReportJson, string ReportHtml, string Dataset, string? Escalated = null,
    int EscalatedRows = 0);
