using System.Globalization;
using Microsoft.DurableTask.Client;
using SynthPref.Orchestration.Batch;
using SynthPref.Orchestration.Input;
using SynthPref.Orchestration.Outcomes;
using SynthPref.Orchestration.Pairs;
using SynthPref.Orchestration.Reporting;
using SynthPref.Orchestration.Reviews;
using SynthPref.Orchestration.Workflow;

namespace SynthPref.Orchestration.Runs;

/// <summary>A run's failed item steps, a page at a time: Total counts them all. Counts: items failed, steps failed (Total)
/// and items not started, as the status and the report name them.</summary>
public sealed record FailurePage(string RunId, RunStatus Status, bool Degraded, int FailedItems, int Total, IReadOnlyList<ItemFailure> Failures,
    FailureCounts Counts);

/// <summary>What a run is doing: its durable status joined with what only storage knows (source, loading and review
/// progress, failures). It is also what the review stage is told of a run (<see cref="IReviewRuns"/>).</summary>
public sealed class RunQueries(RunCatalog catalog, ReviewStage reviews, OutputStore output, LoadProgressStore loading, FailureStore failures)
    : IReviewRuns
{
    public async Task<RunView?> GetAsync(DurableTaskClient client, string runId, CancellationToken ct)
    {
        var record = await catalog.GetAsync(runId, ct);
        if (record is null) return null;
        var instance = await client.GetInstanceAsync(runId, getInputsAndOutputs: true, ct);
        var view = ToView(record, instance);
        if (view.Status == RunStatus.Loading && await loading.GetAsync(runId, ct) is { } load)
            return view with { Progress = view.Progress with { Loading = load } };
        if (view.Status is not (RunStatus.AwaitingReview or RunStatus.Reporting or RunStatus.Completed)) return view;
        var review = await reviews.ProgressAsync(runId, ct);
        if (review is null) return view;
        // Storage decides when review ends; the run's own status catches up a moment later. Until it does, a closed
        // phase is already what it will be: the run is reporting.
        var status = view.Status == RunStatus.AwaitingReview && review.Phase == nameof(ReviewPhaseStatus.Closed) ? RunStatus.Reporting : view.Status;
        return view with
        {
            Status = status,
            Review = review,
            Progress = view.Progress with { Phase = status, Votes = review.Votes, ItemsFullyReviewed = review.ItemsFullyReviewed },
        };
    }

    public async Task<IReadOnlyList<RunView>> ListAsync(DurableTaskClient client, int take, CancellationToken ct)
    {
        var records = await catalog.ListRecentAsync(take, ct);
        var views = new List<RunView>();
        foreach (var record in records)
            views.Add(ToView(record, await client.GetInstanceAsync(record.RunId, getInputsAndOutputs: true, ct)));
        return views;
    }

    /// <summary>
    /// The run's status as one phrase for messages, the same one the status route gives: "Completed",
    /// "Completed, degraded (2 of 10 items failed)", "Reporting (review ended by closed)", "Failed: …".
    /// </summary>
    public async Task<string> DescribeAsync(DurableTaskClient client, string runId, CancellationToken ct) =>
        await GetAsync(client, runId, ct) is { } view ? Describe(view) : "unknown";

    public static string Describe(RunView view)
    {
        var text = view.Status.ToString();
        if (view.Status == RunStatus.Completed && view.Degraded)
            text += string.Create(CultureInfo.InvariantCulture, $", degraded ({view.Progress.FailedItems} of {view.Progress.Items} items failed)");
        else if (view.Status == RunStatus.Reporting && view.Review?.EndedBy is { } endedBy)
            text += $" (review ended by {endedBy.Spelling()})";
        else if (view.Status == RunStatus.Failed && view.Error is { } error)
            text += ": " + (error.Length <= 300 ? error : error[..300] + "…");
        return text;
    }

    /// <summary>Opens a finished run's output blob; Conflict, naming the run's status, while it is not Completed.</summary>
    public async Task<Outcome<Stream>> OpenOutputAsync(DurableTaskClient client, string runId, string name, CancellationToken ct)
    {
        var view = await GetAsync(client, runId, ct);
        if (view is null) return Outcome<Stream>.NotFound($"Run '{runId}' does not exist.");
        if (view.Status != RunStatus.Completed)
            return Outcome<Stream>.Conflict($"Run '{runId}' is {Describe(view)}; its {name} exists once it is Completed.");
        var stream = await output.OpenAsync(runId, name, ct);
        if (stream is not null) return Outcome<Stream>.Ok(stream);
        return Outcome<Stream>.NotFound(name == OutputStore.EscalatedName && view.Result?.Escalated is null
            ? $"Run '{runId}' has no {name}: only a run with trustTarget escalates pairs."
            : $"Run '{runId}' has no {name}.");
    }

    /// <summary>Every failed item step of a run, in item order, <paramref name="take"/> from <paramref name="skip"/>.</summary>
    public async Task<Outcome<FailurePage>> GetFailuresAsync(DurableTaskClient client, string runId, int skip, int take, CancellationToken ct)
    {
        var view = await GetAsync(client, runId, ct);
        if (view is null) return Outcome<FailurePage>.NotFound($"Run '{runId}' does not exist.");
        var all = await failures.ListAsync(runId, ct);
        var counts = new FailureCounts(view.Progress.FailedItems, all.Count,
            view.Progress.FailureCounts?.ItemsNotStarted ?? view.Progress.SkippedForBudget);
        return Outcome<FailurePage>.Ok(new FailurePage(runId, view.Status, view.Degraded, view.Progress.FailedItems, all.Count,
            all.Skip(skip).Take(take).ToList(), counts));
    }

    public async Task<string?> ReviewTokenHashAsync(string runId, CancellationToken ct) => (await catalog.GetAsync(runId, ct))?.ReviewTokenHash;

    public async Task<bool> ShowsReferenceAsync(string runId, CancellationToken ct) => (await catalog.GetAsync(runId, ct))?.HideReference != true;

    /// <summary>Running (or about to), and not yet reporting: the phase the orchestration publishes says so.</summary>
    public async Task<bool> IsBeforeReportAsync(DurableTaskClient client, string runId, CancellationToken ct)
    {
        var instance = await client.GetInstanceAsync(runId, getInputsAndOutputs: true, ct);
        return instance?.RuntimeStatus is OrchestrationRuntimeStatus.Running or OrchestrationRuntimeStatus.Pending
            && instance.ReadCustomStatusAs<RunProgress>()?.Phase != RunStatus.Reporting;
    }

    /// <summary>A run shows its batches in its status until its batch phase has ended; one still waiting is told.</summary>
    public async Task<bool> EndBatchWaitAsync(DurableTaskClient client, string runId, CancellationToken ct)
    {
        var instance = await client.GetInstanceAsync(runId, getInputsAndOutputs: true, ct);
        if (instance?.ReadCustomStatusAs<RunProgress>()?.Batch is not { EndedBy: null }) return false;
        await client.RaiseAsync(runId, new BatchClosed(), ct);
        return true;
    }

    static RunView ToView(RunRecord record, OrchestrationMetadata? instance)
    {
        var progress = instance?.ReadCustomStatusAs<RunProgress>() ?? new RunProgress(RunStatus.Pending);
        var status = instance?.RuntimeStatus switch
        {
            null when record.Rejection is not null => RunStatus.Failed,
            null or OrchestrationRuntimeStatus.Pending => RunStatus.Pending,
            OrchestrationRuntimeStatus.Completed => RunStatus.Completed,
            OrchestrationRuntimeStatus.Failed or OrchestrationRuntimeStatus.Terminated => RunStatus.Failed,
            _ => progress.Phase,
        };
        // The run's own failure, as it published it; a run failed before it could say (terminated, say) has only its
        // message, which each backend keeps as it likes.
        var failure = status != RunStatus.Failed ? null
            : instance is null ? new RunFailure(record.Rejection!)
            : progress.Failure ?? new RunFailure(instance.FailureDetails?.ErrorMessage ?? instance.SerializedOutput ?? "The run was terminated.");
        var result = status == RunStatus.Completed ? instance?.ReadOutputAs<RunResult>() : null;
        if (result is not null && result.FailedItems > progress.FailedItems)
            progress = progress with { FailedItems = result.FailedItems };
        return new RunView(record.RunId, record.Name, record.Source, record.CreatedAt, status, progress with { Phase = status, Failure = null },
            null, failure?.Message, result, failure?.Input?.Errors);
    }
}
