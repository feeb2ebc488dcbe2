using System.Text.Json.Serialization;
using SynthPref.Orchestration.Audit;
using SynthPref.Orchestration.Batch;
using SynthPref.Orchestration.Input;
using SynthPref.Orchestration.Llm;
using SynthPref.Orchestration.Pairs;
using SynthPref.Orchestration.Reporting;
using SynthPref.Orchestration.Reviews;
using SynthPref.Orchestration.Settings;
using SynthPref.Orchestration.Trust;

namespace SynthPref.Orchestration.Workflow;

// Everything that crosses the durable boundary, in one place: the run's input and output, its published status,
// and each activity's request. Activities return stage types (LoadedInput, ItemsResult, BiasReport, ReviewOpened,
// ReviewRoundResult, ReviewEnd, ReportOutputs), and the external events are the review stage's (ReviewsComplete,
// ReviewClosed), so the stages never depend on the workflow that drives them.

/// <summary>
/// The orchestration input: references and counters only, never the items themselves. A run that continues as new
/// carries its judging counters here. InputName is what the user calls the input (the uploaded blob, or "items"),
/// for error messages; InputBlob is the run's own copy.
/// </summary>
public sealed record RunInput(string RunId, string? Name, string Source, string InputName, string InputBlob, RunSettings Settings,
    JudgingState? Judging = null);

/// <summary>How far judging has come. NextItem is the first item not yet started; every item before it is done.
/// TextOnlyJudges: judges whose endpoint refused structured output, asked with the text template from then on.
/// SkippedForBudget: items never started because the token budget was reached (NextItem is then Items).
/// PairsByTrustPoints: decisive judge pairs written so far, counted by their trust points. Batch: how the run's batch
/// phase went, once it has run (from 4.0). DecisivePairs, UnparseablePairs: of the pairs written, those with an A or B
/// verdict and those with none. FailedSteps: the failed item steps recorded. NotStarted: items never started because
/// the run stopped for too many failures (beside SkippedForBudget). VerdictLines: each judge's text answers and those
/// without the verdict line. The fields after Batch came later; states recorded before them read as zero and null.</summary>
public sealed record JudgingState(
    int Items,
    int NextItem,
    int PairsWritten,
    int FailedItems,
    string? FirstFailure,
    IReadOnlyDictionary<string, LlmUsage> Usage,
    [property: JsonPropertyName("Generation")] int Execution,
    IReadOnlyList<string>? TextOnlyJudges = null,
    int SkippedForBudget = 0,
    IReadOnlyDictionary<int, int>? PairsByTrustPoints = null,
    BatchSummary? Batch = null,
    int DecisivePairs = 0,
    int UnparseablePairs = 0,
    int FailedSteps = 0,
    int NotStarted = 0,
    IReadOnlyDictionary<string, VerdictLineTally>? VerdictLines = null)
{
    public JudgingState Add(ItemsResult result) => this with
    {
        PairsWritten = PairsWritten + result.Pairs,
        FailedItems = FailedItems + result.FailedItems,
        DecisivePairs = DecisivePairs + result.DecisivePairs,
        UnparseablePairs = UnparseablePairs + result.UnparseablePairs,
        FailedSteps = FailedSteps + result.FailedSteps,
        VerdictLines = VerdictLineTally.Merge(VerdictLines, result.VerdictLines),
        FirstFailure = FirstFailure ?? result.FirstError,
        Usage = LlmUsage.Merge(Usage, result.Usage),
        // Sorted, so the same results give the same state in whatever order they arrive.
        TextOnlyJudges = result.TextOnlyJudges is not { Count: > 0 } fellBack ? TextOnlyJudges
            : (TextOnlyJudges ?? []).Union(fellBack, StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList(),
        PairsByTrustPoints = AddCounts(PairsByTrustPoints, result.PairsByTrustPoints),
    };

    /// <summary>Sorted by points, so the same results give the same counts in whatever order they arrive.</summary>
    static IReadOnlyDictionary<int, int>? AddCounts(IReadOnlyDictionary<int, int>? counts, IReadOnlyDictionary<int, int>? more)
    {
        if (more is not { Count: > 0 }) return counts;
        var sum = new SortedDictionary<int, int>();
        foreach (var (points, pairs) in counts ?? new Dictionary<int, int>())
            sum[points] = pairs;
        foreach (var (points, pairs) in more)
            sum[points] = sum.GetValueOrDefault(points) + pairs;
        return sum;
    }

    /// <summary>Items failed, steps failed and items never started, as status, failures route and report name them.</summary>
    public FailureCounts Failures => new(FailedItems, FailedSteps, SkippedForBudget + NotStarted);

    /// <summary>Input plus output tokens of every call made so far, what a token budget is measured against.</summary>
    public long TokensUsed => Usage.Values.Sum(u => u.InputTokens + u.OutputTokens);
}

[JsonConverter(typeof(JsonStringEnumConverter<RunStatus>))]
public enum RunStatus { Pending, Loading, Judging, Auditing, AwaitingReview, Reporting, Completed, Failed }

/// <summary>Published as the orchestration's custom status, so status reads need no storage round trip for it.
/// Votes, ItemsFullyReviewed and Loading are never set by the orchestration: labels and the loading activity's
/// progress live in storage, and the API fills them in from there. TextOnlyJudges: judges whose endpoint refused
/// structured output, judging in text since. ReviewRound: the review sampling round under way (1 for the first
/// sample; later rounds with targetCiWidth or escalation), 0 before review. EscalationRound: the round that sends people
/// the pairs under the trust threshold, once it is drawn. PairsByTrustPoints: decisive judge pairs by trust points.
/// Batch: the run's batches while it waits for them, and how its batch phase ended after. Failure: set on the last
/// status of a failed run, and only then (the status route reads it from here). PairsDecisive and
/// PairsUnparseable: of PairsWritten, those with an A or B verdict and those with none (the rest are ties).
/// FailureCounts: items failed, steps failed, items not started (null while none). VerdictLines: each judge's text
/// answers and those without the verdict line (null while none lacked it); Warnings: what the run should be told now.</summary>
public sealed record RunProgress(
    RunStatus Phase,
    int Items = 0,
    int ItemsDone = 0,
    int PairsWritten = 0,
    int FailedItems = 0,
    int SampledItems = 0,
    DateTime? ReviewDeadline = null,
    LlmTotals? Llm = null,
    int Votes = 0,
    int ItemsFullyReviewed = 0,
    long? BudgetTokens = null,
    int SkippedForBudget = 0,
    IReadOnlyList<string>? TextOnlyJudges = null,
    InputLoadProgress? Loading = null,
    int ReviewRound = 0,
    IReadOnlyDictionary<int, int>? PairsByTrustPoints = null,
    int? EscalationRound = null,
    BatchProgress? Batch = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] RunFailure? Failure = null,
    int PairsDecisive = 0,
    int PairsUnparseable = 0,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] FailureCounts? FailureCounts = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyDictionary<string, VerdictLineTally>? VerdictLines = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? Warnings = null);

/// <summary>Why a run failed, published with its last status. Input: why its input was refused, line by line.</summary>
public sealed record RunFailure(string Message, InputRejection? Input = null);


/// <summary>A run's batch phase as its status shows it: the cycle, what it is doing ("collecting", "submitting",
/// "waiting", "cancelling", "ingesting", then "ended"), the cycle's batches (the provider's id, state, requests,
/// completed and failed), their totals, when the run next asks the provider, and once it has ended, how
/// (<see cref="BatchSummary.EndedBy"/>).</summary>
public sealed record BatchProgress(int Cycle, string State, IReadOnlyList<BatchView> Batches, int Requests, int Completed, int Failed,
    DateTime? NextCheckAt = null, string? EndedBy = null)
{
    public static BatchProgress Of(int cycle, string state, BatchesStatus status, DateTime? nextCheckAt = null) => new(
        cycle, state, status.Batches, status.Batches.Sum(b => b.Requests), status.Batches.Sum(b => b.Completed), status.Batches.Sum(b => b.Failed),
        nextCheckAt);
}

/// <summary>All roles together: requests, calls really made, cache hits, tokens, requests answered by batch; and the
/// same by role, as running totals.</summary>
public sealed record LlmTotals(int Requests, int Calls, int CacheHits, long InputTokens, long OutputTokens,
    IReadOnlyDictionary<string, TokenUsage>? ByRole = null, int BatchAnswers = 0)
{
    public static LlmTotals Of(IReadOnlyDictionary<string, LlmUsage> usage)
    {
        var sum = usage.Values.Aggregate(new LlmUsage(), (a, b) => a.Add(b));
        return new(sum.Requests, sum.Calls, sum.CacheHits, sum.InputTokens, sum.OutputTokens,
            new SortedDictionary<string, TokenUsage>(usage.ToDictionary(kv => kv.Key, kv => TokenUsage.From(kv.Value)), StringComparer.Ordinal),
            sum.BatchAnswers);
    }
}

/// <summary>Escalated and EscalatedRows: escalated.jsonl, for runs with trustTarget only.</summary>
public sealed record RunResult(
    string RunId,
    int Pairs,
    int FailedItems,
    int DatasetRows,
    string ReportJson,
    string ReportHtml,
    string Dataset,
    string? Escalated = null,
    int EscalatedRows = 0);

/// <summary>A collecting pass over items [Start, Start + Count) for cycle Cycle. CheckAttempts: earlier batches of the
/// run left requests unanswered, so those already sent twice are looked up and left out.</summary>
public sealed record CollectBatchRequest(string RunId, int Cycle, int Start, int Count, RunSettings Settings, BatchPlan Plan, bool CheckAttempts);

public sealed record SubmitBatchesRequest(string RunId, int Cycle, IReadOnlyList<BatchPart> Parts);

/// <summary>The batches of one cycle of a run.</summary>
public sealed record BatchCycleRequest(string RunId, int Cycle);

/// <summary>RejectEmptyResponses: the run's option, checked as the input is validated (false for runs before it).</summary>
public sealed record LoadInputRequest(string RunId, string InputBlob, string InputName, bool CritiqueRevise, bool RejectEmptyResponses = false);

/// <summary>Items [Start, Start + Count) of the run, processed one after another, with the run's options (and the
/// judges asked in text so far, <see cref="RunSettings.TextOnlyJudges"/>).</summary>
public sealed record ItemsRequest(string RunId, int Start, int Count, RunSettings Settings);

/// <summary>Rounds: the phase counts sampling rounds and its completion signal carries the round (runs from 2.0 on).
/// TargetCiWidth and MaxReviewSampleSize: the adaptive review's target and cap, stored with the phase.</summary>
public sealed record OpenReviewRequest(string RunId, int SampleSize, int Seed, int MinReviewsPerItem, DateTime Deadline,
    int MaxReviewersPerItem = RunSettings.DefaultMaxReviewersPerItem, bool Rounds = false, double? TargetCiWidth = null,
    int? MaxReviewSampleSize = null);

/// <summary>Round <paramref name="Round"/>'s items all have their reviewers, as far as the orchestration was told: plan
/// and draw round Round + 1 from storage.</summary>
public sealed record NextReviewRoundRequest(string RunId, int Round, int Seed, int MinReviewsPerItem, double TargetCiWidth,
    int? MaxReviewSampleSize);

/// <summary>Round <paramref name="Round"/>, the last ordinary review round, has all its reviewers: draw the escalation
/// round (Round + 1) from the escalated pairs no reviewer labelled, at the threshold the labels in storage give now.</summary>
public sealed record EscalationRequest(string RunId, int Round, int Seed, int MinReviewsPerItem, double TrustTarget, double TrustAlpha,
    int MaxEscalatedReviews);

/// <summary>Items [Start, Start + Count) whose lane failed outside the LLM even after the durable retries (storage down, say).</summary>
public sealed record RecordFailureRequest(string RunId, int Start, int Count, string Error);

/// <summary>Ends the review phase in storage with EndedBy, unless it ended already (the first reason wins).</summary>
public sealed record CloseReviewRequest(string RunId, ReviewEnd EndedBy);

public sealed record ReportRequest(string RunId, string? Name, BiasReport Bias, ReviewEnd ReviewEndedBy, JudgingState Judging,
    RunSettings? Settings = null);
