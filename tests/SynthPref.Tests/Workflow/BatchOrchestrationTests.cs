using Microsoft.DurableTask.Client;
using SynthPref.Orchestration.Batch;
using SynthPref.Orchestration.Llm;
using SynthPref.Orchestration.Pairs;
using SynthPref.Orchestration.Reviews;
using SynthPref.Orchestration.Workflow;

namespace SynthPref.Tests.Workflow;

/// <summary>The batch phase's decisions on the in-memory durable backend: the wait loop on durable timers, the
/// status it publishes, cycles, the fallbacks, a close during the wait, and runs of older versions.</summary>
public sealed class BatchOrchestrationTests
{
    [Fact]
    public async Task The_wait_doubles_between_checks_publishes_each_state_and_judging_starts_only_after_the_ingest()
    {
        var statuses = new List<RunProgress>();
        OrchestratorHarness? h = null;
        await using var harness = h = await OrchestratorHarness.StartAsync(new OrchestratorHarness
        {
            Items = 2,
            Record = true,
            SampledItems = 0,
            CheckBatches = (r, n) => n < 3
                ? OrchestratorHarness.Batches(r.Cycle, "in_progress", 2, completed: n - 1)
                : OrchestratorHarness.Batches(r.Cycle, "completed", 2),
        });
        harness.ProcessItems = async r =>
        {
            // Judging starts once every answer is in the cache: the cycle's ingest ran, and the next pass found nothing.
            Assert.Single(h.Ingests);
            Assert.Equal(2, h.Collects.Count);
            return new ItemsResult(r.Count, r.Count, 0, null, new Dictionary<string, LlmUsage> { ["judge"] = new(2 * r.Count) });
        };
        var runId = await harness.StartRunAsync(OrchestratorHarness.Input("batch-wait", batch: OrchestratorHarness.JudgeBatch()));

        var waiting = await harness.WaitForStatusAsync(runId, p => p.Batch is { State: "waiting", Completed: 1 });
        var run = await harness.WaitForEndAsync(runId);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, run.RuntimeStatus);
        Assert.Equal(("batch-c1", "in_progress", 2, 1, 0), (waiting.Batch!.Batches[0].Id, waiting.Batch.Batches[0].State, waiting.Batch.Requests,
            waiting.Batch.Completed, waiting.Batch.Failed));
        Assert.NotNull(waiting.Batch.NextCheckAt);
        Assert.Equal(3, harness.Checks.Count);
        // The waits are durable timers, 1 s then 2 s then 4 s after the orchestration time of the turn that set each.
        var turn = harness.Backend!.Turns.Last(t => t.Request.InstanceId == runId).Request;
        var delays = new List<TimeSpan>();
        DateTime? now = null;
        foreach (var e in turn.PastEvents)
        {
            if (e.OrchestratorStarted is not null) now = e.Timestamp.ToDateTime();
            if (e.TimerCreated is not null) delays.Add(e.TimerCreated.FireAt.ToDateTime() - now!.Value);
        }
        Assert.Equal([TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4)], delays);
        var report = Assert.Single(harness.Reports);
        var summary = report.Judging.Batch!;
        Assert.Equal(["judge"], summary.Roles);
        Assert.Equal(new BatchSummary(summary.Roles, 1, 2, 2, 0, 0, "nothing-left"), summary);
        // The batch's tokens are the run's, beside the stage's requests that the cache then answered.
        Assert.Equal(new LlmUsage(Requests: 4, InputTokens: 20, OutputTokens: 10, BatchAnswers: 2, BatchInputTokens: 20, BatchOutputTokens: 10),
            report.Judging.Usage["judge"]);
        Assert.All(harness.ItemCalls, c => Assert.Null(c.Settings.CacheOnlyRoles));
        var ended = await harness.WaitForStatusAsync(runId, p => true);
        Assert.Equal("nothing-left", ended.Batch?.EndedBy);
    }

    [Fact]
    public async Task Requests_left_unanswered_are_collected_again_with_their_attempts_checked_and_a_fail_fallback_keeps_judging_to_the_cache()
    {
        await using var harness = await OrchestratorHarness.StartAsync(new OrchestratorHarness
        {
            Items = 2,
            SampledItems = 0,
            // Cycle 1 leaves one request unanswered; cycle 2 sends it again; cycle 3 finds nothing left.
            CollectBatch = r => new CollectedRequests(r.Cycle <= 2 ? [new BatchPart("Llm", "judge", $"c{r.Cycle}-{r.Start}", r.Cycle == 1 ? 2 : 1, 10)] : [],
                r.Cycle == 3 ? 1 : 0),
            IngestBatches = r => new BatchIngest(new Dictionary<string, LlmUsage> { ["judge"] = new(BatchAnswers: 1, BatchFailed: 1) }, 1, 1),
        });
        var runId = await harness.StartRunAsync(OrchestratorHarness.Input("batch-retry", batch: OrchestratorHarness.JudgeBatch(fallbackLive: false)));
        var run = await harness.WaitForEndAsync(runId);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, run.RuntimeStatus);
        Assert.Equal([(1, false), (2, true), (3, true)], harness.Collects.Select(c => (c.Cycle, c.CheckAttempts)).ToList());
        Assert.Equal([1, 2], harness.Submits.Select(s => s.Cycle).ToList());
        var summary = Assert.Single(harness.Reports).Judging.Batch!;
        Assert.Equal((2, 3, 2, 2, 1, "nothing-left"), (summary.Cycles, summary.Requests, summary.Answered, summary.Unanswered, summary.Exhausted, summary.EndedBy));
        Assert.All(harness.ItemCalls, c =>
        {
            Assert.Equal(["judge"], c.Settings.CacheOnlyRoles);
            Assert.Contains("BatchFallback is fail", c.Settings.CacheOnlyReason);
        });
    }

    [Fact]
    public async Task A_close_during_the_wait_cancels_the_batches_keeps_their_answers_and_judges_nothing_live()
    {
        await using var harness = await OrchestratorHarness.StartAsync(new OrchestratorHarness
        {
            Items = 3,
            // The item the cancelled batch had answered makes its pair; the others had no answer and lose their step.
            ProcessItems = r => Task.FromResult(r.Start == 0
                ? new ItemsResult(1, 1, 0, null, new Dictionary<string, LlmUsage>())
                : new ItemsResult(r.Count, 0, r.Count, "not answered", new Dictionary<string, LlmUsage>())),
        });
        harness.CheckBatches = (r, _) => OrchestratorHarness.Batches(r.Cycle, harness.Cancels.Count > 0 ? "cancelled" : "in_progress", 3, completed: 1);
        var runId = await harness.StartRunAsync(OrchestratorHarness.Input("batch-close", maxFailedItemsRatio: 0.1, batch: OrchestratorHarness.JudgeBatch()));
        await harness.WaitForStatusAsync(runId, p => p.Batch is { State: "waiting" } && harness.Checks.Count >= 1);

        // What the close route does before a review has opened: it closes the phase in storage and signals the batch wait.
        Assert.False(harness.CloseInStorage(ReviewEnd.Closed));
        await harness.Client.RaiseAsync(runId, new BatchClosed());
        var run = await harness.WaitForEndAsync(runId);

        // Two of three items lost their step, more than maxFailedItemsRatio allows, but a closed run goes on to its report.
        Assert.Equal(OrchestrationRuntimeStatus.Completed, run.RuntimeStatus);
        Assert.Single(harness.Cancels);
        Assert.Single(harness.Ingests);
        Assert.Single(harness.Collects);
        var report = Assert.Single(harness.Reports);
        Assert.Equal("closed", report.Judging.Batch!.EndedBy);
        Assert.Equal(ReviewEnd.Closed, report.ReviewEndedBy);
        Assert.All(harness.ItemCalls, c =>
        {
            Assert.Equal(["judge"], c.Settings.CacheOnlyRoles);
            Assert.Contains("closed while its batches were pending", c.Settings.CacheOnlyReason);
        });
    }

    [Fact]
    public async Task A_batch_that_cannot_be_created_is_cancelled_and_judging_goes_live()
    {
        await using var harness = await OrchestratorHarness.StartAsync(new OrchestratorHarness
        {
            Items = 2,
            SampledItems = 0,
            SubmitFailure = "HTTP 401 from the Batch API",
        });
        var run = await harness.WaitForEndAsync(await harness.StartRunAsync(OrchestratorHarness.Input("batch-refused", batch: OrchestratorHarness.JudgeBatch())));

        Assert.Equal(OrchestrationRuntimeStatus.Completed, run.RuntimeStatus);
        Assert.Single(harness.Cancels);
        Assert.Empty(harness.Checks);
        var summary = Assert.Single(harness.Reports).Judging.Batch!;
        Assert.StartsWith("failed: ", summary.EndedBy);
        Assert.Contains("HTTP 401 from the Batch API", summary.EndedBy);
        Assert.Equal(2, harness.ItemCalls.Sum(c => c.Count));
        Assert.All(harness.ItemCalls, c => Assert.Null(c.Settings.CacheOnlyRoles));
    }

    [Fact]
    public async Task A_run_of_an_older_version_takes_no_batch_step_whatever_its_settings()
    {
        await using var harness = await OrchestratorHarness.StartAsync(new OrchestratorHarness { Items = 2, SampledItems = 0 });
        var run = await harness.WaitForEndAsync(
            await harness.StartRunAsync(OrchestratorHarness.Input("batch-v2", batch: OrchestratorHarness.JudgeBatch()), OrchestrationVersions.V2));

        Assert.Equal(OrchestrationRuntimeStatus.Completed, run.RuntimeStatus);
        Assert.Empty(harness.Collects);
        Assert.Null(Assert.Single(harness.Reports).Judging.Batch);
    }
}
