using Azure;
using Microsoft.DurableTask;
using SynthPref.Orchestration.Audit;
using SynthPref.Orchestration.Input;
using SynthPref.Orchestration.Pairs;
using SynthPref.Orchestration.Reporting;
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

    public static bool IsTransient(TaskFailureDetails failure) =>
        failure.IsCausedBy<RequestFailedException>() || failure.IsCausedBy<IOException>()
        || failure.IsCausedBy<HttpRequestException>() || failure.IsCausedBy<TimeoutException>();

    public static Task<LoadedInput> LoadInputAsync(this TaskOrchestrationContext context, LoadInputRequest request) =>
        context.CallActivityAsync<LoadedInput>(nameof(LoadInputActivity), request, Retry);

    public static Task<bool> RecordItemFailureAsync(this TaskOrchestrationContext context, RecordFailureRequest request) =>
        context.CallActivityAsync<bool>(nameof(RecordItemFailureActivity), request, Retry);

    public static Task<ItemResult> ProcessItemAsync(this TaskOrchestrationContext context, ItemRequest request) =>
        context.CallActivityAsync<ItemResult>(nameof(ProcessItemActivity), request, Retry);

    public static Task<BiasReport> AuditPairsAsync(this TaskOrchestrationContext context, string runId) =>
        context.CallActivityAsync<BiasReport>(nameof(AuditPairsActivity), runId, Retry);

    public static Task<ReviewOpened> OpenReviewAsync(this TaskOrchestrationContext context, OpenReviewRequest request) =>
        context.CallActivityAsync<ReviewOpened>(nameof(OpenReviewActivity), request, Retry);

    public static Task<string> CloseReviewAsync(this TaskOrchestrationContext context, CloseReviewRequest request) =>
        context.CallActivityAsync<string>(nameof(CloseReviewActivity), request, Retry);

    public static Task<ReportOutputs> BuildReportAsync(this TaskOrchestrationContext context, ReportRequest request) =>
        context.CallActivityAsync<ReportOutputs>(nameof(BuildReportActivity), request, Retry);
}
