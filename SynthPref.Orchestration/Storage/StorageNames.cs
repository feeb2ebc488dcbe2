namespace SynthPref.Orchestration.Storage;

public static class StorageNames
{
    /// <summary>Uploads here start runs (blob trigger).</summary>
    public const string InputContainer = "synthpref-input";
    /// <summary>A second input container for <c>inputBlob</c> references that must not start runs of their own.</summary>
    public const string UploadsContainer = "synthpref-uploads";
    /// <summary>Per-run working copies: the input as received, its manifest, and the run's bias audit.</summary>
    public const string WorkContainer = "synthpref-runs";
    public const string OutputContainer = "synthpref-output";

    public const string RunsTable = "SynthPrefRuns";
    public const string PairsTable = "SynthPrefPairs";
    /// <summary>One partition per run: the review phase row, the sampled items and the labels.</summary>
    public const string ReviewsTable = "SynthPrefReviews";
    /// <summary>Every failed item step, one row each, so none is visible only in a host log.</summary>
    public const string FailuresTable = "SynthPrefFailures";
    /// <summary>Chat completions already paid for, keyed by provider, model, messages and options.</summary>
    public const string LlmCacheTable = "SynthPrefLlmCache";
    /// <summary>One row per run while its input loads, since the loading activity cannot set the run's status.</summary>
    public const string ProgressTable = "SynthPrefProgress";
    /// <summary>One partition per run: its provider batches (files, ids, states) and the requests they left unanswered.</summary>
    public const string BatchesTable = "SynthPrefBatches";

    public static readonly string[] Containers = [InputContainer, UploadsContainer, WorkContainer, OutputContainer];
    public static readonly string[] Tables = [RunsTable, PairsTable, ReviewsTable, FailuresTable, LlmCacheTable, ProgressTable, BatchesTable];
}
