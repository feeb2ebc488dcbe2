using Microsoft.DurableTask.Client;
using SynthPref.Orchestration.Reporting;
using SynthPref.Orchestration.Reviews;
using SynthPref.Orchestration.Workflow;

namespace SynthPref.Orchestration.Runs;

/// <summary>What a run is doing: its durable status joined with what only storage knows (source, review progress).</summary>
public sealed class RunQueries(RunCatalog catalog, ReviewStore reviews, OutputStore output)
{
    public async Task<RunView?> GetAsync(DurableTaskClient client, string runId, CancellationToken ct)
    {
        var record = await catalog.GetAsync(runId, ct);
        if (record is null) return null;
        var instance = await client.GetInstanceAsync(runId, getInputsAndOutputs: true, ct);
        var view = ToView(record, instance);
        if (view.Status is not (RunStatus.AwaitingReview or RunStatus.Reporting or RunStatus.Completed)) return view;
        var review = await ReviewProgressAsync(runId, ct);
        return review is null ? view : view with
        {
            Review = review,
            Progress = view.Progress with { Votes = review.Votes, ItemsFullyReviewed = review.ItemsFullyReviewed },
        };
    }

    public async Task<IReadOnlyList<(RunView View, string ReviewToken)>> ListAsync(DurableTaskClient client, int take, CancellationToken ct)
    {
        var records = await catalog.ListRecentAsync(take, ct);
        var views = new List<(RunView, string)>();
        foreach (var record in records)
            views.Add((ToView(record, await client.GetInstanceAsync(record.RunId, getInputsAndOutputs: true, ct)), record.ReviewToken));
        return views;
    }

    /// <summary>Opens a finished run's output blob; Conflict while the run is still going.</summary>
    public async Task<Outcome<Stream>> OpenOutputAsync(DurableTaskClient client, string runId, string name, CancellationToken ct)
    {
        var view = await GetAsync(client, runId, ct);
        if (view is null) return Outcome<Stream>.NotFound($"Run '{runId}' does not exist.");
        if (view.Status != RunStatus.Completed)
            return Outcome<Stream>.Conflict($"Run '{runId}' is {view.Status}; its {name} exists once it is Completed.");
        var stream = await output.OpenAsync(runId, name, ct);
        return stream is null ? Outcome<Stream>.NotFound($"Run '{runId}' has no {name}.") : Outcome<Stream>.Ok(stream);
    }

    async Task<ReviewProgress?> ReviewProgressAsync(string runId, CancellationToken ct)
    {
        var phase = await reviews.GetPhaseAsync(runId, ct);
        if (phase is null) return null;
        var items = await reviews.ListItemsAsync(runId, ct);
        return new ReviewProgress(phase.Status.ToString(), items.Count, items.Sum(i => i.Reviewers),
            items.Count(i => i.Reviewers >= phase.MinReviewsPerItem), phase.EndedBy);
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
        var error = status != RunStatus.Failed ? null
            : instance is null ? record.Rejection
            // The Azure Storage backend keeps a failed run's message as its output, not as failure details.
            : FailureText.Clean(instance.FailureDetails?.ErrorMessage ?? instance.SerializedOutput ?? "The run was terminated.");
        var result = status == RunStatus.Completed ? instance?.ReadOutputAs<RunResult>() : null;
        return new RunView(record.RunId, record.Name, record.Source, record.CreatedAt, status, progress with { Phase = status },
            null, error, result);
    }
}
