using System.Text.Json.Serialization;
using SynthPref.Orchestration.Audit;
using SynthPref.Orchestration.Input;
using SynthPref.Orchestration.Llm;
using SynthPref.Orchestration.Pairs;
using SynthPref.Orchestration.Reporting;

namespace SynthPref.Orchestration.Workflow;

// Everything that crosses the durable boundary, in one place: the run's input and output, its published status,
// the external events, and each activity's request. Activities return stage types (LoadedInput, ItemResult,
// BiasReport, ReportOutputs), so the stages never depend on the workflow that drives them.

/// <summary>Options after defaults are applied and the seed is fixed, as the orchestration sees them. Window and
/// ItemsPerGeneration come from the host's configuration when the run starts, and stay with the run.
/// MaxFailedItemsPerMillion is the maxFailedItemsRatio option in parts per million, so the check is integer
/// arithmetic and exact. The last two have defaults because runs started before they existed carry neither.</summary>
public sealed record RunSettings(
    bool SwapPositions,
    bool CritiqueRevise,
    int ReviewSampleSize,
    int MinReviewsPerItem,
    TimeSpan ReviewDeadline,
    int Seed,
    bool Cache,
    int Window,
    int ItemsPerGeneration,
    int MaxReviewersPerItem = RunSettings.DefaultMaxReviewersPerItem,
    int MaxFailedItemsPerMillion = RunSettings.DefaultMaxFailedItemsPerMillion)
{
    public const int DefaultMaxReviewersPerItem = 50;
    public const int DefaultMaxFailedItemsPerMillion = 100_000;

    /// <summary>Whether more items failed than the run allows: failed / items &gt; ratio, exactly.</summary>
    public bool TooManyFailed(int failedItems, int items) =>
        (long)failedItems * 1_000_000 > (long)MaxFailedItemsPerMillion * items;

    public ItemSettings ForItems => new(SwapPositions, CritiqueRevise, Cache);
}

/// <summary>
/// The orchestration input: references and counters only, never the items themselves. A run that continues as new
/// carries its judging counters here. InputName is what the user calls the input (the uploaded blob, or "items"),
/// for error messages; InputBlob is the run's own copy.
/// </summary>
public sealed record RunInput(string RunId, string? Name, string Source, string InputName, string InputBlob, RunSettings Settings,
    JudgingState? Judging = null);

/// <summary>How far judging has come. NextItem is the first item not yet started; every item before it is done.</summary>
public sealed record JudgingState(
    int Items,
    int NextItem,
    int PairsWritten,
    int FailedItems,
    string? FirstFailure,
    IReadOnlyDictionary<string, LlmUsage> Usage,
    int Generation)
{
    public JudgingState Add(ItemResult result) => this with
    {
        PairsWritten = PairsWritten + result.Pairs,
        FailedItems = FailedItems + (result.FailedSteps > 0 ? 1 : 0),
        FirstFailure = FirstFailure ?? result.FirstError,
        Usage = LlmUsage.Merge(Usage, result.Usage),
    };
}

[JsonConverter(typeof(JsonStringEnumConverter<RunStatus>))]
public enum RunStatus { Pending, Loading, Judging, Auditing, AwaitingReview, Reporting, Completed, Failed }

/// <summary>Published as the orchestration's custom status, so status reads need no storage round trip for it.
/// Votes, ItemsFullyReviewed and Loading are never set by the orchestration: labels and the loading activity's
/// progress live in storage, and the API fills them in from there.</summary>
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
    InputLoadProgress? Loading = null);

/// <summary>All roles together: requests, calls really made, cache hits, tokens.</summary>
public sealed record LlmTotals(int Requests, int Calls, int CacheHits, long InputTokens, long OutputTokens)
{
    public static LlmTotals Of(IReadOnlyDictionary<string, LlmUsage> usage)
    {
        var sum = usage.Values.Aggregate(new LlmUsage(), (a, b) => a.Add(b));
        return new(sum.Requests, sum.Calls, sum.CacheHits, sum.InputTokens, sum.OutputTokens);
    }
}

public sealed record RunResult(
    string RunId,
    int Pairs,
    int FailedItems,
    int DatasetRows,
    string ReportJson,
    string ReportHtml,
    string Dataset);

/// <summary>External events. The orchestration waits for exactly these, and only in the review phase.</summary>
public static class RunEvents
{
    /// <summary>Every sampled item has its reviewers (raised by the API when the last one lands).</summary>
    public const string ReviewsComplete = "ReviewsComplete";

    /// <summary>Someone closed the review phase (the API has already closed it in storage).</summary>
    public const string ReviewClosed = "ReviewClosed";
}

public sealed record LoadInputRequest(string RunId, string InputBlob, string InputName, bool CritiqueRevise);

public sealed record ItemRequest(string RunId, int Index, ItemSettings Settings);

public sealed record OpenReviewRequest(string RunId, int SampleSize, int Seed, int MinReviewsPerItem, DateTime Deadline,
    int MaxReviewersPerItem = RunSettings.DefaultMaxReviewersPerItem);

/// <summary>An item whose activity failed outside the LLM even after the durable retries (storage down, say).</summary>
public sealed record RecordFailureRequest(string RunId, int Index, string Error);

/// <summary>ClosedEarly: the phase was closed before it could open, so the run skips review.</summary>
public sealed record ReviewOpened(int SampledItems, bool ClosedEarly);

public sealed record CloseReviewRequest(string RunId, string EndedBy);

public sealed record ReportRequest(string RunId, string? Name, BiasReport Bias, string ReviewEndedBy, JudgingState Judging);
