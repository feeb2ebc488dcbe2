using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;
using SynthPref.Orchestration.Batch;
using SynthPref.Orchestration.Input;
using SynthPref.Orchestration.Llm;
using SynthPref.Orchestration.Pairs;
using SynthPref.Orchestration.Reviews;
using SynthPref.Orchestration.Settings;
using SynthPref.Orchestration.Trust;

namespace SynthPref.Orchestration.Workflow;

/// <summary>The run's input was refused; Rejection says why, line by line (null from a worker that answered with text).</summary>
public sealed class InvalidInputException(string message, InputRejection? rejection) : Exception(message)
{
    public InputRejection? Rejection { get; } = rejection;
}

/// <summary>More items failed than the run's maxFailedItemsRatio allows. The counts are the status's and the failures
/// route's (<see cref="FailureCounts"/>): items failed, steps failed, items never started.</summary>
public sealed class TooManyFailedItemsException(string runId, JudgingState state, RunSettings settings) : Exception(
    $"{state.FailedItems} of {state.Items} items failed ({state.FailedSteps} steps failed), more than maxFailedItemsRatio " +
    $"{(settings.MaxFailedItemsPerMillion / 1_000_000m).ToString(System.Globalization.CultureInfo.InvariantCulture)} allows, so the run stopped; " +
    $"{state.Failures.ItemsNotStarted} items were not started. " +
    $"First error: {state.FirstFailure}. Every failure: GET /api/runs/{runId}/failures.");

/// <summary>
/// input → pairs → audit → sample → reviews → (trust, escalation) → report. Deterministic: every decision comes from the run input,
/// activity results and external events; time only from the context. It carries references and counters; items,
/// pairs and labels live in storage.
/// </summary>
public sealed class RunOrchestrator : TaskOrchestrator<RunInput, RunResult>
{
    /// <summary>Every failure is also published with the run's last status (<see cref="RunProgress.Failure"/>): neither
    /// backend keeps a failed run's failure details, only its message as text.</summary>
    public override async Task<RunResult> RunAsync(TaskOrchestrationContext context, RunInput run)
    {
        var published = new RunProgress(RunStatus.Pending);
        void Publish(RunProgress progress)
        {
            published = progress;
            context.SetCustomStatus(progress);
        }

        try
        {
            return await RunStepsAsync(context, run, Publish);
        }
        catch (Exception e)
        {
            context.SetCustomStatus(published with { Failure = new RunFailure(e.Message, (e as InvalidInputException)?.Rejection) });
            throw;
        }
    }

    static async Task<RunResult> RunStepsAsync(TaskOrchestrationContext context, RunInput run, Action<RunProgress> publish)
    {
        OrchestrationVersions.EnsureVersioned(context);
        var log = context.CreateReplaySafeLogger<RunOrchestrator>();
        var judging = run.Judging;
        if (judging is null)
        {
            publish(new RunProgress(RunStatus.Loading));
            var loaded = await LoadAsync(context, run);
            judging = new JudgingState(loaded.Items, 0, 0, 0, null, new Dictionary<string, LlmUsage>(), 0);
        }

        // From 4.0 a run that batches sends its requests through the provider's Batch API first; judging then finds them
        // answered in the cache. Once, before the first item: later executions carry how it went.
        if (judging.NextItem == 0 && judging.Batch is null && run.Settings.Batch is { Roles.Count: > 0 } plan
            && context.IsAtLeast(OrchestrationVersions.V4))
            judging = await BatchAsync(context, run, judging, plan, publish);

        if (judging.NextItem < judging.Items)
        {
            judging = await JudgeAsync(context, run, judging, publish);
            if (judging.NextItem < judging.Items)
            {
                // A fresh history keeps replay cost flat however many items a run has.
                context.ContinueAsNew(run with { Judging = judging with { Execution = judging.Execution + 1 } });
                return null!;
            }
        }

        if (judging.PairsWritten == 0 && judging.FailedItems > 0)
            throw new InvalidOperationException(
                $"No pair was written: {judging.FailedItems} of {judging.Items} items failed. First error: {judging.FirstFailure}");
        if (judging.FailedItems > 0)
            log.LogWarning("Run {RunId}: {Failed} of {Total} items failed; first: {Error}",
                run.RunId, judging.FailedItems, judging.Items, judging.FirstFailure);

        var progress = Progress(RunStatus.Auditing, judging, judging.Items, run.Settings);
        publish(progress);
        var bias = await context.AuditPairsAsync(run.RunId);

        var endedBy = await ReviewAsync(context, run, progress, publish);
        publish(progress with { Phase = RunStatus.Reporting });
        var report = await context.BuildReportAsync(new ReportRequest(run.RunId, run.Name, bias, endedBy, judging, run.Settings));
        log.LogInformation("Run {RunId} completed: {Pairs} pairs, review ended by {EndedBy}", run.RunId, report.Pairs, endedBy.Spelling());
        return new RunResult(run.RunId, report.Pairs, judging.FailedItems, report.DatasetRows, report.ReportJson, report.ReportHtml, report.Dataset,
            report.Escalated, report.EscalatedRows);
    }

    /// <summary>
    /// A sliding window of <see cref="RunSettings.Window"/> lanes, each an activity working through a few consecutive
    /// items one after another, so the window holds that many items in flight and a lane starts its next item as each
    /// one finishes. A lane that ends is replaced at once, so one slow item holds up nothing but the items queued behind
    /// it in its own lane. Lanes of several items divide the durable overhead (queue messages, history, replays) per
    /// item; near the end of an execution they shrink, so the lanes finish together. After
    /// <see cref="RunSettings.ItemsPerExecution"/> items the window drains and the caller continues as new, carrying
    /// only counters and the next index.
    /// </summary>
    static async Task<JudgingState> JudgeAsync(TaskOrchestrationContext context, RunInput run, JudgingState state, Action<RunProgress> publish)
    {
        var settings = run.Settings;
        var executionEnd = Math.Min(state.Items, state.NextItem + settings.ItemsPerExecution);
        var inFlight = new Dictionary<Task<ItemsResult>, (int Start, int Count)>(settings.Window);
        var next = state.NextItem;
        var done = state.NextItem;

        // Once the calls made so far have used the run's budget, no item is started; items in
        // flight finish. Runs stamped before V2 have no budget and start every item, as they did.
        var budget = context.IsAtLeast(OrchestrationVersions.V2) ? settings.BudgetTokens : null;
        bool BudgetReached() => budget is { } limit && state.TokensUsed >= limit;

        void Fill()
        {
            while (next < executionEnd && inFlight.Count < settings.Window && !BudgetReached())
            {
                // Guided self-scheduling: a lane takes a share of what is left, at most ItemsPerActivity. Judges that
                // refused structured output so far are asked with the text template.
                var share = (int)Math.Ceiling((executionEnd - next) / (2.0 * settings.Window));
                var count = Math.Clamp(share, 1, settings.ItemsPerActivity);
                inFlight.Add(context.ProcessItemsAsync(new ItemsRequest(run.RunId, next, count,
                    settings with
                    {
                        TextOnlyJudges = state.TextOnlyJudges,
                        CacheOnlyRoles = state.Batch?.CacheOnlyRoles,
                        CacheOnlyReason = state.Batch?.CacheOnlyReason,
                    })), (next, count));
                next += count;
            }
        }

        Fill();
        publish(Progress(RunStatus.Judging, state, done, settings));
        while (inFlight.Count > 0)
        {
            var finished = await Task.WhenAny(inFlight.Keys);
            var (start, count) = inFlight[finished];
            inFlight.Remove(finished);
            state = state.Add(await LaneResultAsync(context, run, finished, start, count));
            done += count;
            // A run that has lost more items than it allows stops here rather than paying for the rest. A run closed
            // during its batch wait lost its unanswered items by its owner's choice, and goes on with what it has.
            if (context.IsAtLeast(OrchestrationVersions.V2) && state.Batch?.Closed != true && settings.TooManyFailed(state.FailedItems, state.Items))
            {
                // The lanes already started are let finish, so their failures, recorded as they end, are counted too:
                // the status, the failures route and the message then count the same items and steps.
                foreach (var (lane, (laneStart, laneCount)) in inFlight)
                {
                    state = state.Add(await LaneResultAsync(context, run, lane, laneStart, laneCount));
                    done += laneCount;
                }
                state = state with { NotStarted = state.Items - next };
                publish(Progress(RunStatus.Judging, state, done, settings));
                throw new TooManyFailedItemsException(run.RunId, state, settings);
            }
            Fill();
            publish(Progress(RunStatus.Judging, state, done, settings));
        }
        // The run goes on to its audit with what it has; the rest is counted, not lost silently.
        if (BudgetReached() && next < state.Items)
            return state with { NextItem = state.Items, SkippedForBudget = state.Items - next };
        return state with { NextItem = next };
    }

    /// <summary>A lane's result; a lane that failed outside the LLM after the durable retries (storage down, say) counts
    /// each of its items as failed, one step each, recorded beside the item steps' failures so none is only in a host log.</summary>
    static async Task<ItemsResult> LaneResultAsync(TaskOrchestrationContext context, RunInput run, Task<ItemsResult> lane, int start, int count)
    {
        try
        {
            return await lane;
        }
        catch (TaskFailedException e)
        {
            if (context.IsAtLeast(OrchestrationVersions.V2))
                await RecordFailureAsync(context, new RecordFailureRequest(run.RunId, start, count, e.FailureDetails.ErrorMessage));
            return new ItemsResult(count, 0, count, $"items {start}-{start + count - 1}: {e.FailureDetails.ErrorMessage}",
                new Dictionary<string, LlmUsage>(), FailedSteps: count);
        }
    }

    /// <summary>Items per collecting lane: the pass makes no call, so a lane is mostly cache reads and serialising.</summary>
    const int CollectItemsPerActivity = 500;
    const int CollectWindow = 4;

    /// <summary>
    /// The batch phase (4.0), in cycles. Each cycle runs the stage's own steps over every item in a collecting pass
    /// (<see cref="Activities.CollectBatchRequestsActivity"/>), which finds the requests the cache cannot answer yet,
    /// including those that only an earlier cycle's answers revealed (a judge's re-ask, the next critique or revision,
    /// the verification); submits them as batches; waits on durable timers (the plan's poll interval, doubling up to
    /// ten minutes), asking the provider after each and publishing what it says; and ingests the answers into the
    /// response cache. A cycle that finds nothing ends the phase. A request a batch left unanswered is found again and
    /// sent once more in the next cycle, then no more. A close (<see cref="BatchClosed"/>) cancels the open
    /// batches, keeps what they answered, and ends the phase with every batched role taken from the cache only. A
    /// batch that cannot be prepared, created or read ends the phase too; judging then goes live (or fails, per the
    /// role's fallback) for what is unanswered.
    /// </summary>
    static async Task<JudgingState> BatchAsync(TaskOrchestrationContext context, RunInput run, JudgingState state, BatchPlan plan,
        Action<RunProgress> publish)
    {
        var log = context.CreateReplaySafeLogger<RunOrchestrator>();
        var settings = run.Settings;
        var closed = context.WaitForBatchClosedAsync();
        var maxCycles = BatchPlanner.MaxCycles(settings.RevisionRounds, settings.VerifyRevisions);
        var summary = new BatchSummary(plan.RoleNames, 0, 0, 0, 0, 0, "nothing-left");
        var progress = Progress(RunStatus.Judging, state, 0, settings);
        string? endedBy = null;
        for (var cycle = 1; endedBy is null; cycle++)
        {
            if (closed.IsCompleted) { endedBy = "closed"; break; }
            if (cycle > maxCycles) { endedBy = "max-cycles"; break; }

            publish(progress with { Batch = new BatchProgress(cycle, "collecting", [], 0, 0, 0) });
            CollectedRequests collected;
            try
            {
                collected = await CollectAsync(context, run, state, plan, cycle, checkAttempts: summary.Unanswered > 0);
            }
            catch (TaskFailedException e)
            {
                endedBy = $"failed: {e.FailureDetails.ErrorMessage}";
                break;
            }
            summary = summary with { Exhausted = summary.Exhausted + collected.Exhausted };
            if (collected.Parts.Count == 0)
            {
                endedBy = cycle == 1 ? "nothing-to-batch" : "nothing-left";
                break;
            }

            publish(progress with { Batch = new BatchProgress(cycle, "submitting", [], collected.Parts.Sum(p => p.Requests), 0, 0) });
            BatchesStatus status;
            try
            {
                status = await context.SubmitBatchesAsync(new SubmitBatchesRequest(run.RunId, cycle, collected.Parts));
            }
            catch (TaskFailedException e)
            {
                // What was created before the failure is not waited for, nor left to run up a bill.
                await TryAsync(context, context.CancelBatchesAsync(new BatchCycleRequest(run.RunId, cycle)), "cancel");
                endedBy = $"failed: {e.FailureDetails.ErrorMessage}";
                break;
            }
            summary = summary with { Cycles = cycle, Requests = summary.Requests + status.Batches.Sum(b => b.Requests) };
            log.LogInformation("Run {RunId}: batch cycle {Cycle} sent {Requests} requests in {Batches} batches",
                run.RunId, cycle, status.Batches.Sum(b => b.Requests), status.Batches.Count);

            var delay = TimeSpan.FromSeconds(plan.PollSeconds);
            var cancelled = false;
            while (!status.AllEnded)
            {
                var nextCheck = context.CurrentUtcDateTime.Add(delay);
                publish(progress with { Batch = BatchProgress.Of(cycle, cancelled ? "cancelling" : "waiting", status, nextCheck) });
                using var timerCancel = new CancellationTokenSource();
                var timer = context.CreateTimer(nextCheck, timerCancel.Token);
                if (!cancelled && await Task.WhenAny(timer, closed) == closed)
                {
                    timerCancel.Cancel();
                    cancelled = true;
                    status = await TryAsync(context, context.CancelBatchesAsync(new BatchCycleRequest(run.RunId, cycle)), "cancel") ?? status;
                    continue;
                }
                await timer;
                // A status the provider could not give now is asked for again at the next check.
                status = await TryAsync(context, context.CheckBatchesAsync(new BatchCycleRequest(run.RunId, cycle)), "status") ?? status;
                delay = TimeSpan.FromSeconds(Math.Min(delay.TotalSeconds * 2, LlmOptions.MaxBatchPollSeconds));
            }

            publish(progress with { Batch = BatchProgress.Of(cycle, "ingesting", status) });
            BatchIngest ingested;
            try
            {
                ingested = await context.IngestBatchesAsync(new BatchCycleRequest(run.RunId, cycle));
            }
            catch (TaskFailedException e)
            {
                endedBy = $"failed: {e.FailureDetails.ErrorMessage}";
                break;
            }
            state = state with { Usage = LlmUsage.Merge(state.Usage, ingested.Usage) };
            summary = summary with { Answered = summary.Answered + ingested.Answered, Unanswered = summary.Unanswered + ingested.Unanswered };
            progress = Progress(RunStatus.Judging, state, 0, settings);
            if (cancelled) endedBy = "closed";
        }

        var closedRun = endedBy == "closed";
        var cacheOnly = closedRun ? plan.RoleNames : plan.NoLiveFallback;
        summary = summary with
        {
            EndedBy = endedBy!,
            CacheOnlyRoles = cacheOnly.Count > 0 ? cacheOnly : null,
            CacheOnlyReason = cacheOnly.Count == 0 ? null
                : closedRun ? "The run was closed while its batches were pending, and no batch had answered this request."
                : "The run's batches did not answer this request (it was sent twice), and the role's BatchFallback is fail.",
        };
        log.LogInformation("Run {RunId}: batch phase ended ({EndedBy}) after {Cycles} cycles: {Answered} of {Requests} requests answered",
            run.RunId, summary.EndedBy, summary.Cycles, summary.Answered, summary.Requests);
        return state with { Batch = summary };
    }

    /// <summary>Collecting lanes over every item, a few at a time; their parts in lane order.</summary>
    static async Task<CollectedRequests> CollectAsync(TaskOrchestrationContext context, RunInput run, JudgingState state, BatchPlan plan, int cycle,
        bool checkAttempts)
    {
        var window = Math.Clamp(run.Settings.Window, 1, CollectWindow);
        var items = run.Settings with { TextOnlyJudges = state.TextOnlyJudges };
        var inFlight = new List<Task<CollectedRequests>>();
        var parts = new List<BatchPart>();
        var exhausted = 0;
        var next = 0;
        while (next < state.Items || inFlight.Count > 0)
        {
            while (next < state.Items && inFlight.Count < window)
            {
                var count = Math.Min(CollectItemsPerActivity, state.Items - next);
                inFlight.Add(context.CollectBatchRequestsAsync(new CollectBatchRequest(run.RunId, cycle, next, count, items, plan, checkAttempts)));
                next += count;
            }
            var finished = await Task.WhenAny(inFlight);
            inFlight.Remove(finished);
            var lane = await finished;
            parts.AddRange(lane.Parts);
            exhausted += lane.Exhausted;
        }
        return new CollectedRequests(parts.OrderBy(p => p.Blob, StringComparer.Ordinal).ToList(), exhausted);
    }

    /// <summary>An activity whose failure the batch phase rides over (logged); null when it failed.</summary>
    static async Task<T?> TryAsync<T>(TaskOrchestrationContext context, Task<T> call, string what) where T : class
    {
        try
        {
            return await call;
        }
        catch (TaskFailedException e)
        {
            context.CreateReplaySafeLogger<RunOrchestrator>().LogWarning("Batch {What} failed: {Error}", what, e.FailureDetails.ErrorMessage);
            return null;
        }
    }

    /// <summary>
    /// Labels go to storage, not to this orchestration: it waits only for the phase to end, by the last needed label,
    /// by a close, or at the deadline, and then closes it in storage, where the report reads the labels as they stood.
    /// </summary>
    static async Task<ReviewEnd> ReviewAsync(TaskOrchestrationContext context, RunInput run, RunProgress progress, Action<RunProgress> publish)
    {
        var settings = run.Settings;
        var deadlineAt = context.CurrentUtcDateTime.Add(settings.ReviewDeadline);
        // From 2.0 the phase counts rounds, so the completion signal can name the round it completes.
        var rounds = context.IsAtLeast(OrchestrationVersions.V2);
        var opened = await context.OpenReviewAsync(new OpenReviewRequest(
            run.RunId, settings.ReviewSampleSize, settings.Seed, settings.MinReviewsPerItem, deadlineAt, settings.MaxReviewersPerItem,
            rounds, rounds ? settings.TargetCiWidth : null, rounds ? settings.MaxReviewSampleSize : null));
        if (opened.SampledItems == 0) return ReviewEnd.NothingToReview;
        if (opened.ClosedEarly) return ReviewEnd.Closed;
        if (rounds) return await ReviewInRoundsAsync(context, run, progress, deadlineAt, opened.SampledItems, publish);

        publish(progress with { Phase = RunStatus.AwaitingReview, SampledItems = opened.SampledItems, ReviewDeadline = deadlineAt });
        using var timerCancel = new CancellationTokenSource();
        var deadline = context.CreateTimer(deadlineAt, timerCancel.Token);
        // A 1.0 run's phase counts no rounds: its ReviewsComplete names none, and any one of them ends the phase.
        var complete = context.WaitForReviewsCompleteAsync();
        var closed = context.WaitForReviewClosedAsync();
        var first = await Task.WhenAny(complete, closed, deadline);
        if (first != deadline) timerCancel.Cancel();
        var reason = first == complete ? ReviewEnd.Complete : first == closed ? ReviewEnd.Closed : ReviewEnd.Deadline;
        // Storage keeps the first reason given, so a close that raced the deadline is reported as what it was.
        return await context.CloseReviewAsync(new CloseReviewRequest(run.RunId, reason));
    }

    /// <summary>
    /// The review phase from 2.0: one durable timer for the whole phase, however many rounds. When the API signals that
    /// round r's items all have their reviewers, a run with targetCiWidth asks <see cref="Activities.NextReviewRoundActivity"/>
    /// to draw round r + 1 from what storage holds; the ordinary rounds end when it draws nothing (every category meets the
    /// target, none has items left, or maxReviewSampleSize is reached). From 3.0, a run with trustTarget and escalate:
    /// review then asks <see cref="Activities.EscalateReviewActivity"/> for one more round, the escalated pairs no reviewer
    /// labelled, and the phase ends when that round has its reviewers (or when there was nothing to escalate). A close or
    /// the deadline ends the phase at any point, and no escalation round follows them. A signal for a round before the
    /// current one (raised twice, or late) is passed over, so it cannot end a round drawn after it.
    /// </summary>
    static async Task<ReviewEnd> ReviewInRoundsAsync(TaskOrchestrationContext context, RunInput run, RunProgress progress, DateTime deadlineAt,
        int sampled, Action<RunProgress> publish)
    {
        var settings = run.Settings;
        var round = 1;
        var escalate = context.IsAtLeast(OrchestrationVersions.V3) && settings.Escalate == Escalation.Review && settings.TrustTarget is not null;
        int? escalationRound = null;
        publish(progress with { Phase = RunStatus.AwaitingReview, SampledItems = sampled, ReviewDeadline = deadlineAt, ReviewRound = round });
        using var timerCancel = new CancellationTokenSource();
        var deadline = context.CreateTimer(deadlineAt, timerCancel.Token);
        var closed = context.WaitForReviewClosedAsync();
        ReviewEnd? reason = null;
        // The API signals when a label gives an item its last needed reviewer, which happens once per sampled item at
        // most, and every round samples at least one more pair: so there are at most as many signals as pairs.
        for (var signal = 0; signal <= progress.PairsWritten && reason is null; signal++)
        {
            var complete = context.WaitForReviewsCompleteAsync();
            var first = await Task.WhenAny(complete, closed, deadline);
            if (first == closed) { reason = ReviewEnd.Closed; break; }
            if (first == deadline) { reason = ReviewEnd.Deadline; break; }
            // An event without a round is taken for the current round.
            if (complete.Result?.Round is { } signalled && signalled < round) continue;
            // The escalation round is the last: once it has its reviewers, review is complete.
            if (escalationRound is not null) { reason = ReviewEnd.Complete; break; }

            if (settings.TargetCiWidth is { } target)
            {
                var next = await context.NextReviewRoundAsync(new NextReviewRoundRequest(
                    run.RunId, round, settings.Seed, settings.MinReviewsPerItem, target, settings.MaxReviewSampleSize));
                // Storage does not have every label of this round yet: the signal ran ahead of it; the last label signals again.
                if (!next.AllReviewed) continue;
                if (next.Added > 0)
                {
                    (round, sampled) = (next.Round, next.SampledItems);
                    publish(progress with
                    {
                        Phase = RunStatus.AwaitingReview,
                        SampledItems = sampled,
                        ReviewDeadline = deadlineAt,
                        ReviewRound = round,
                    });
                    continue;
                }
            }
            // The last ordinary round is complete.
            if (!escalate) { reason = ReviewEnd.Complete; break; }

            var escalation = await context.EscalateReviewAsync(new EscalationRequest(
                run.RunId, round, settings.Seed, settings.MinReviewsPerItem, settings.TrustTarget!.Value, settings.TrustAlpha,
                settings.MaxEscalatedReviews));
            if (!escalation.AllReviewed) continue;
            if (escalation.Added == 0) { reason = ReviewEnd.Complete; break; }
            (round, sampled, escalationRound) = (escalation.Round, escalation.SampledItems, escalation.Round);
            publish(progress with
            {
                Phase = RunStatus.AwaitingReview,
                SampledItems = sampled,
                ReviewDeadline = deadlineAt,
                ReviewRound = round,
                EscalationRound = escalationRound,
            });
        }
        // More signals than there can be: someone other than the API is raising them; only a close or the deadline ends it.
        reason ??= await Task.WhenAny(closed, deadline) == closed ? ReviewEnd.Closed : ReviewEnd.Deadline;
        if (reason != ReviewEnd.Deadline) timerCancel.Cancel();
        // Storage keeps the first reason given, so a close that raced the deadline is reported as what it was.
        return await context.CloseReviewAsync(new CloseReviewRequest(run.RunId, reason.Value));
    }

    /// <summary>The run's input, loaded; a refused one fails the run with every bad line, as the loading step's failure
    /// properties give them.</summary>
    static async Task<LoadedInput> LoadAsync(TaskOrchestrationContext context, RunInput run)
    {
        LoadedInput loaded;
        try
        {
            loaded = await context.LoadInputAsync(new LoadInputRequest(run.RunId, run.InputBlob, run.InputName, run.Settings.CritiqueRevise,
                run.Settings.RejectEmptyResponses));
        }
        catch (TaskFailedException e) when (e.FailureDetails.IsCausedBy<InputRejectedException>())
        {
            throw new InvalidInputException(e.FailureDetails.ErrorMessage, FailureProperties.InputRejectionOf(e.FailureDetails));
        }
        // A worker from before typed failures answers a refused input with its text.
        if (loaded.Error is not null)
            throw new InvalidInputException(loaded.Error, null);
        return loaded;
    }

    static async Task RecordFailureAsync(TaskOrchestrationContext context, RecordFailureRequest request)
    {
        try
        {
            await context.RecordItemFailureAsync(request);
        }
        catch (TaskFailedException e)
        {
            // The count in the run's state stands either way; storage that refuses this is down for everything.
            context.CreateReplaySafeLogger<RunOrchestrator>().LogWarning("Run {RunId}: the failure of items {Start}-{End} could not be recorded: {Error}",
                request.RunId, request.Start, request.Start + request.Count - 1, e.FailureDetails.ErrorMessage);
        }
    }

    static RunProgress Progress(RunStatus phase, JudgingState state, int done, RunSettings settings) =>
        new(phase, state.Items, done, state.PairsWritten, state.FailedItems, Llm: LlmTotals.Of(state.Usage),
            PairsDecisive: state.DecisivePairs, PairsUnparseable: state.UnparseablePairs,
            FailureCounts: state.Failures.Any ? state.Failures : null,
            VerdictLines: state.VerdictLines?.Values.Any(v => v.WithoutVerdictLine > 0) == true ? state.VerdictLines : null,
            Warnings: state.VerdictLines?.Select(kv => kv.Value.Warning(kv.Key)).OfType<string>().ToList() is { Count: > 0 } warnings ? warnings : null,
            BudgetTokens: settings.BudgetTokens, SkippedForBudget: state.SkippedForBudget, TextOnlyJudges: state.TextOnlyJudges,
            PairsByTrustPoints: state.PairsByTrustPoints,
            Batch: state.Batch is { } batch
                ? new BatchProgress(batch.Cycles, "ended", [], batch.Requests, batch.Answered, batch.Unanswered, EndedBy: batch.EndedBy)
                : null);
}
