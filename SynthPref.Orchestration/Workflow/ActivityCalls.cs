using Azure;
using Microsoft.DurableTask;
using SynthPref.Orchestration.Audit;
using SynthPref.Orchestration.Batch;
using SynthPref.Orchestration.Input;
using SynthPref.Orchestration.Pairs;
using SynthPref.Orchestration.Reporting;
using SynthPref.Orchestration.Reviews;
using SynthPref.Orchestration.Workflow.Activities;

namespace SynthPref.Orchestration.Workflow;

/// <summary>
/// The one typed call site of each activity, so the orchestrator never names an activity by string and its request
/// and result types cannot drift apart from the activity's.
/// </summary>
public static class ActivityCalls
{
    /// <summary>
    /// The durable layer retries an activity only for failures outside the LLM that can pass: storage and network
    /// faults. LLM failures never reach it (<see cref="ItemProcessor"/> turns them into the item's outcome after the
    /// SDK pipeline's retries), and everything else (bad data, a bug, unusable configuration) fails the same way again.
    /// </summary>
    public static readonly TaskOptions Retry = TaskOptions.FromRetryPolicy(new RetryPolicy(
        maxNumberOfAttempts: 4, firstRetryInterval: TimeSpan.FromSeconds(2), backoffCoefficient: 2,
        maxRetryInterval: TimeSpan.FromSeconds(30))
    {
        HandleFailure = IsTransient,
    });

    /// <summary>
    /// Runs stamped 2.0 and later: six attempts over about a minute (2, 4, 8, 16 and 30 s apart), so a storage account or emulator
    /// restarting mid-run costs no item. Runs stamped 1.0 keep <see cref="Retry"/>: retries are durable timers in the
    /// run's history, so changing them under a parked run would break its replay.
    /// </summary>
    public static readonly TaskOptions RetryV2 = TaskOptions.FromRetryPolicy(new RetryPolicy(
        maxNumberOfAttempts: 6, firstRetryInterval: TimeSpan.FromSeconds(2), backoffCoefficient: 2,
        maxRetryInterval: TimeSpan.FromSeconds(30))
    {
        HandleFailure = IsTransientV2,
    });

    static TaskOptions RetryFor(TaskOrchestrationContext context) => context.IsAtLeast(OrchestrationVersions.V2) ? RetryV2 : Retry;

    public static bool IsTransient(TaskFailureDetails failure) =>
        failure.IsCausedBy<RequestFailedException>() || failure.IsCausedBy<IOException>()
        || failure.IsCausedBy<HttpRequestException>() || failure.IsCausedBy<TimeoutException>();

    /// <summary>As <see cref="IsTransient"/>, but a storage answer that will not change (a 4xx other than 408 and 429,
    /// such as a blob that was deleted) is not retried: only the account being unreachable, throttled or failing is. The
    /// storage SDK reports a request whose own retries all failed as an AggregateException of them; its first says why.</summary>
    public static bool IsTransientV2(TaskFailureDetails failure) =>
        failure.IsCausedBy<AggregateException>()
            ? failure.InnerFailure is { } inner && IsTransientV2(inner)
            : IsTransient(failure) && !(failure.IsCausedBy<RequestFailedException>() && StorageStatus(failure) is >= 400 and < 500 and not 408 and not 429);

    /// <summary>The status storage answered, from the failure's properties (<see cref="FailureProperties"/>). A failure
    /// recorded by a build before them has none; a run parked for review replays such failures, and must decide them as
    /// it did then, so for those alone the status is read from the line the storage SDK writes it on ("Status: 404 (…)").</summary>
    static int? StorageStatus(TaskFailureDetails failure) =>
        FailureProperties.StorageStatusOf(failure) ?? RecordedStatus(failure.ErrorMessage);

    static int? RecordedStatus(string message)
    {
        foreach (var line in message.AsSpan().EnumerateLines())
            if (line.StartsWith("Status: ", StringComparison.Ordinal) && line.Length >= 11
                && int.TryParse(line.Slice(8, 3), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var status))
                return status;
        return null;
    }

    public static Task<LoadedInput> LoadInputAsync(this TaskOrchestrationContext context, LoadInputRequest request) =>
        context.CallActivityAsync<LoadedInput>(nameof(LoadInputActivity), request, RetryFor(context));

    public static Task<bool> RecordItemFailureAsync(this TaskOrchestrationContext context, RecordFailureRequest request) =>
        context.CallActivityAsync<bool>(nameof(RecordItemFailureActivity), request, RetryFor(context));

    public static Task<ItemsResult> ProcessItemsAsync(this TaskOrchestrationContext context, ItemsRequest request) =>
        context.CallActivityAsync<ItemsResult>(nameof(ProcessItemsActivity), request, RetryFor(context));

    public static Task<CollectedRequests> CollectBatchRequestsAsync(this TaskOrchestrationContext context, CollectBatchRequest request) =>
        context.CallActivityAsync<CollectedRequests>(nameof(CollectBatchRequestsActivity), request, RetryFor(context));

    public static Task<BatchesStatus> SubmitBatchesAsync(this TaskOrchestrationContext context, SubmitBatchesRequest request) =>
        context.CallActivityAsync<BatchesStatus>(nameof(SubmitBatchesActivity), request, RetryFor(context));

    public static Task<BatchesStatus> CheckBatchesAsync(this TaskOrchestrationContext context, BatchCycleRequest request) =>
        context.CallActivityAsync<BatchesStatus>(nameof(CheckBatchesActivity), request, RetryFor(context));

    public static Task<BatchesStatus> CancelBatchesAsync(this TaskOrchestrationContext context, BatchCycleRequest request) =>
        context.CallActivityAsync<BatchesStatus>(nameof(CancelBatchesActivity), request, RetryFor(context));

    public static Task<BatchIngest> IngestBatchesAsync(this TaskOrchestrationContext context, BatchCycleRequest request) =>
        context.CallActivityAsync<BatchIngest>(nameof(IngestBatchesActivity), request, RetryFor(context));

    public static Task<BiasReport> AuditPairsAsync(this TaskOrchestrationContext context, string runId) =>
        context.CallActivityAsync<BiasReport>(nameof(AuditPairsActivity), runId, RetryFor(context));

    public static Task<ReviewOpened> OpenReviewAsync(this TaskOrchestrationContext context, OpenReviewRequest request) =>
        context.CallActivityAsync<ReviewOpened>(nameof(OpenReviewActivity), request, RetryFor(context));

    public static Task<ReviewRoundResult> NextReviewRoundAsync(this TaskOrchestrationContext context, NextReviewRoundRequest request) =>
        context.CallActivityAsync<ReviewRoundResult>(nameof(NextReviewRoundActivity), request, RetryFor(context));

    public static Task<ReviewRoundResult> EscalateReviewAsync(this TaskOrchestrationContext context, EscalationRequest request) =>
        context.CallActivityAsync<ReviewRoundResult>(nameof(EscalateReviewActivity), request, RetryFor(context));

    public static Task<ReviewEnd> CloseReviewAsync(this TaskOrchestrationContext context, CloseReviewRequest request) =>
        context.CallActivityAsync<ReviewEnd>(nameof(CloseReviewActivity), request, RetryFor(context));

    public static Task<ReportOutputs> BuildReportAsync(this TaskOrchestrationContext context, ReportRequest request) =>
        context.CallActivityAsync<ReportOutputs>(nameof(BuildReportActivity), request, RetryFor(context));
}
