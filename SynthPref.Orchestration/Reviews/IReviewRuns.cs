using Microsoft.DurableTask.Client;

namespace SynthPref.Orchestration.Reviews;

/// <summary>
/// What review needs to know of the run it belongs to. Runs are the use cases' (<c>Runs/RunQueries</c> answers this):
/// asking through this keeps the review stage from naming them or the workflow, so data still flows one way.
/// </summary>
public interface IReviewRuns
{
    /// <summary>The SHA-256 of the run's review token (never the token, see <see cref="ReviewTokens"/>); null when no
    /// such run exists.</summary>
    Task<string?> ReviewTokenHashAsync(string runId, CancellationToken ct);

    /// <summary>Whether reviewers may see the reference answers the judges graded against (the run's showReferenceToReviewers).</summary>
    Task<bool> ShowsReferenceAsync(string runId, CancellationToken ct);

    /// <summary>Whether the run is still running and has not begun its report, so its review can still be closed.</summary>
    Task<bool> IsBeforeReportAsync(DurableTaskClient client, string runId, CancellationToken ct);

    /// <summary>The run's status as one phrase for messages, as the status route gives it ("Completed",
    /// "Reporting (review ended by closed)", …).</summary>
    Task<string> DescribeAsync(DurableTaskClient client, string runId, CancellationToken ct);

    /// <summary>Tells a run that is waiting for its provider batches to stop waiting (it cancels them and skips the
    /// review it has not reached); false when the run is not waiting for batches.</summary>
    Task<bool> EndBatchWaitAsync(DurableTaskClient client, string runId, CancellationToken ct);
}
