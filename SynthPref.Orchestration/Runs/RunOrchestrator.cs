using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;
using SynthPref.Orchestration.Audit;
using SynthPref.Orchestration.Generation;
using SynthPref.Orchestration.Input;
using SynthPref.Orchestration.Judging;
using SynthPref.Orchestration.Reporting;
using SynthPref.Orchestration.Revision;
using SynthPref.Orchestration.Sampling;

namespace SynthPref.Orchestration.Runs;

public sealed class InvalidInputException(string message) : Exception(message);

/// <summary>
/// input → pairs → audit → sample → reviews → report. Deterministic: every decision comes from the
/// run input, activity results and external events; time only from the context.
/// </summary>
public sealed class RunOrchestrator : TaskOrchestrator<RunInput, RunResult>
{
    /// <summary>Items per fan-out wave. Waves exist so progress is published while a large run is judged;
    /// the LLM client's concurrency limit, not this, bounds load on the model.</summary>
    public const int WaveSize = 50;

    /// <summary>Waves judged before the orchestration continues as new with a checkpoint.</summary>
    public const int WavesPerGeneration = 4;

    static readonly TaskOptions Retry = TaskOptions.FromRetryPolicy(new RetryPolicy(
        maxNumberOfAttempts: 3, firstRetryInterval: TimeSpan.FromSeconds(2), backoffCoefficient: 2));

    public override async Task<RunResult> RunAsync(TaskOrchestrationContext context, RunInput run)
    {
        var log = context.CreateReplaySafeLogger<RunOrchestrator>();
        var settings = run.Settings;
        var progress = new RunProgress(RunStatus.Pending);
        context.SetCustomStatus(progress);

        var checkpoint = run.Checkpoint;
        if (checkpoint is null)
        {
            var manifest = await context.CallActivityAsync<InputManifest>(
                nameof(LoadInputActivity), new LoadInputRequest(run.RunId, run.InputBlob, run.InputName, run.Settings.CritiqueRevise), Retry);
            if (manifest.Error is not null)
                throw new InvalidInputException(manifest.Error);
            checkpoint = new JudgingCheckpoint(manifest.Items, 0, 0, 0, null);
        }

        var items = checkpoint.Items;
        progress = progress with
        {
            Phase = RunStatus.Judging,
            Items = items.Length,
            ItemsDone = checkpoint.NextItem,
            PairsWritten = checkpoint.PairsWritten,
            FailedItems = checkpoint.FailedItems,
        };
        context.SetCustomStatus(progress);

        for (var wave = 0; checkpoint.NextItem < items.Length; wave++)
        {
            if (wave == WavesPerGeneration)
            {
                // A fresh history keeps replay cost flat however many items a run has.
                context.ContinueAsNew(run with { Checkpoint = checkpoint });
                return null!;
            }

            var start = checkpoint.NextItem;
            var outcomes = await Task.WhenAll(
                Enumerable.Range(start, Math.Min(WaveSize, items.Length - start))
                    .Select(index => ProcessItemAsync(context, run, index, items[index])));
            checkpoint = checkpoint with
            {
                NextItem = start + outcomes.Length,
                PairsWritten = checkpoint.PairsWritten + outcomes.Sum(o => o.Pairs),
                FailedItems = checkpoint.FailedItems + outcomes.Count(o => o.Errors.Count > 0),
                FirstFailure = checkpoint.FirstFailure ?? outcomes.SelectMany(o => o.Errors).FirstOrDefault(),
            };
            progress = progress with
            {
                ItemsDone = checkpoint.NextItem,
                PairsWritten = checkpoint.PairsWritten,
                FailedItems = checkpoint.FailedItems,
            };
            context.SetCustomStatus(progress);
        }

        if (checkpoint.PairsWritten == 0 && checkpoint.FailedItems > 0)
            throw new InvalidOperationException(
                $"No pair was written: {checkpoint.FailedItems} of {items.Length} items failed. First error: {checkpoint.FirstFailure}");
        if (checkpoint.FailedItems > 0)
            log.LogWarning("Run {RunId}: {Failed} of {Total} items failed; first: {Error}",
                run.RunId, checkpoint.FailedItems, items.Length, checkpoint.FirstFailure);

        progress = progress with { Phase = RunStatus.Auditing };
        context.SetCustomStatus(progress);
        var bias = await context.CallActivityAsync<BiasReport>(nameof(AuditPairsActivity), run.RunId, Retry);
        var sample = await context.CallActivityAsync<string[]>(
            nameof(DrawSampleActivity), new SampleRequest(run.RunId, settings.ReviewSampleSize, settings.Seed), Retry);

        var review = await AwaitReviewsAsync(context, run, sample, progress);
        progress = review.Progress with { Phase = RunStatus.Reporting };
        context.SetCustomStatus(progress);
        var result = await context.CallActivityAsync<RunResult>(nameof(BuildReportActivity),
            new ReportRequest(run.RunId, run.Name, bias, review.EndedBy, review.Labels, checkpoint.FailedItems, checkpoint.FirstFailure), Retry);
        log.LogInformation("Run {RunId} completed: {Pairs} pairs, review ended by {EndedBy}", run.RunId, result.Pairs, review.EndedBy);
        return result;
    }

    sealed record ItemOutcome(int Pairs, IReadOnlyList<string> Errors);

    /// <summary>
    /// Each step stands alone: a failed critique-revise leaves the item's judge pair counted, and the failure
    /// is reported per step. One bad item never sinks the run.
    /// </summary>
    static async Task<ItemOutcome> ProcessItemAsync(TaskOrchestrationContext context, RunInput run, int index, ItemWork work)
    {
        var task = new ItemTask(run.RunId, index);
        if (work == ItemWork.GenerateAndJudge)
        {
            try
            {
                await context.CallActivityAsync<bool>(nameof(GenerateResponsesActivity), task, Retry);
            }
            catch (TaskFailedException e)
            {
                return new ItemOutcome(0, [$"item {index} generate: {e.FailureDetails.ErrorMessage}"]);
            }
        }

        var steps = new List<(string Name, Task<PairOutcome> Task)>();
        if (work != ItemWork.ReviseOnly)
            steps.Add(("judge", context.CallActivityAsync<PairOutcome>(
                nameof(JudgePairActivity), new JudgeTask(run.RunId, index, run.Settings.SwapPositions), Retry)));
        if (run.Settings.CritiqueRevise)
            steps.Add(("critique-revise", context.CallActivityAsync<PairOutcome>(nameof(CritiqueReviseActivity), task, Retry)));
        try
        {
            await Task.WhenAll(steps.Select(s => s.Task));
        }
        catch (TaskFailedException)
        {
            // Inspected per step below.
        }
        var errors = steps.Where(s => s.Task.IsFaulted)
            .Select(s => $"item {index} {s.Name}: {(s.Task.Exception!.InnerException as TaskFailedException)?.FailureDetails.ErrorMessage ?? s.Task.Exception.Message}")
            .ToList();
        return new ItemOutcome(steps.Count(s => s.Task.IsCompletedSuccessfully), errors);
    }

    sealed record ReviewPhase(string EndedBy, IReadOnlyList<ReviewSubmitted> Labels, RunProgress Progress);

    /// <summary>
    /// Ends when every sampled item has enough distinct reviewers, when someone closes the phase, or at the
    /// deadline. The report counts exactly the labels this loop received (a reviewer's latest per item), so a
    /// label that races the end of the phase is either in both the count and the report or in neither.
    /// </summary>
    static async Task<ReviewPhase> AwaitReviewsAsync(TaskOrchestrationContext context, RunInput run, string[] sample, RunProgress progress)
    {
        var labels = new Dictionary<(string Item, string Reviewer), ReviewSubmitted>();
        ReviewPhase End(string endedBy) => new(endedBy, labels.Values.ToList(), progress);
        if (sample.Length == 0) return End("nothing-to-review");

        var settings = run.Settings;
        var deadlineAt = context.CurrentUtcDateTime.Add(settings.ReviewDeadline);
        var reviewers = sample.ToDictionary(id => id, _ => new HashSet<string>(StringComparer.Ordinal));
        progress = progress with { Phase = RunStatus.AwaitingReview, SampledItems = sample.Length, ReviewDeadline = deadlineAt };
        context.SetCustomStatus(progress);

        using var timerCancel = new CancellationTokenSource();
        var deadline = context.CreateTimer(deadlineAt, timerCancel.Token);
        var close = context.WaitForExternalEvent<bool>(RunEvents.CloseReview);
        try
        {
            while (true)
            {
                var next = context.WaitForExternalEvent<ReviewSubmitted>(RunEvents.ReviewSubmitted);
                var first = await Task.WhenAny(next, close, deadline);
                if (first == close) return End("closed");
                if (first == deadline) return End("deadline");

                var review = next.Result;
                if (!reviewers.TryGetValue(review.ItemId, out var seen)) continue;
                seen.Add(review.Reviewer);
                labels[(review.ItemId, review.Reviewer)] = review;
                var complete = reviewers.Values.Count(r => r.Count >= settings.MinReviewsPerItem);
                progress = progress with { Votes = labels.Count, ItemsFullyReviewed = complete };
                context.SetCustomStatus(progress);
                if (complete == sample.Length) return End("complete");
            }
        }
        finally
        {
            timerCancel.Cancel();
        }
    }
}
