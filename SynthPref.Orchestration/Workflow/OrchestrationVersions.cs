using Microsoft.DurableTask;
using Microsoft.DurableTask.Abstractions;

namespace SynthPref.Orchestration.Workflow;

/// <summary>
/// Runs can wait up to a year for review, across deploys. Each run is stamped with the orchestrator version that
/// started it, workers take runs of their version or older, and the orchestrator branches on the run's version
/// wherever its steps changed, so a parked run replays the steps it was started with.
/// </summary>
public static class OrchestrationVersions
{
    /// <summary>Storage-first core: sliding window over items, labels in storage, three review events.</summary>
    public const string V1 = "1.0";

    /// <summary>Judging stops starting items once the run's token budget is used; a lane that failed after its retries
    /// is recorded in the failures table, and a run stops once more items failed than its maxFailedItemsRatio allows;
    /// the durable retries ride out about a minute of storage outage.</summary>
    public const string V2 = "2.0";

    /// <summary>With trustTarget and escalate: review, the last ordinary review round completing is followed by one more
    /// round: the escalated pairs no reviewer labelled, most trust points first.</summary>
    public const string V3 = "3.0";

    /// <summary>A run can send its LLM requests through the provider's Batch API: cycles of a collecting pass, a
    /// submit, durable-timer polls and an ingest before judging, which then answers from the cache; a close during the
    /// wait cancels the batches.</summary>
    public const string V4 = "4.0";

    /// <summary>What this build stamps on new runs and the newest it can run.</summary>
    public const string Current = V4;

    public static bool IsAtLeast(this TaskOrchestrationContext context, string version) =>
        TaskOrchestrationVersioningUtils.CompareVersions(context.Version, version) >= 0;

    /// <summary>A run from before versioning carries no version, and its history was written by steps this build
    /// no longer has; it fails with that said, instead of a non-determinism error.</summary>
    public static void EnsureVersioned(TaskOrchestrationContext context)
    {
        if (string.IsNullOrEmpty(context.Version))
            throw new NotSupportedException(
                "This run was started by a SynthPref build without orchestration versioning, and this build cannot resume it. Start it again.");
    }
}
