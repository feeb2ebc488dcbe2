using Azure;
using Microsoft.DurableTask.Client;
using SynthPref.Orchestration.Input;
using SynthPref.Orchestration.Llm;
using SynthPref.Orchestration.Pairs;
using SynthPref.Orchestration.Reviews;
using SynthPref.Orchestration.Workflow;

namespace SynthPref.Tests.Workflow;

/// <summary>The orchestrator's own decisions, on the in-memory durable backend: failures, retries, closing early.</summary>
public sealed class RunOrchestratorTests
{
    static readonly Dictionary<string, LlmUsage> NoUsage = new();

    [Fact]
    public async Task A_run_where_every_item_fails_fails_naming_the_count_and_the_first_error_and_reports_nothing()
    {
        await using var harness = await OrchestratorHarness.StartAsync(new OrchestratorHarness
        {
            Items = 3,
            ProcessItems = r => Task.FromResult(new ItemsResult(r.Count, 0, r.Count, $"item {r.Start}: the judge refused", NoUsage)),
        });

        var run = await harness.WaitForEndAsync(await harness.StartRunAsync(OrchestratorHarness.Input("all-fail", window: 1)));

        Assert.Equal(OrchestrationRuntimeStatus.Failed, run.RuntimeStatus);
        Assert.Contains("No pair was written: 3 of 3 items failed. First error: item 0: the judge refused", run.FailureDetails!.ErrorMessage);
        Assert.Equal([0, 1, 2], harness.ItemCalls.Select(c => c.Start).Order());
        Assert.Equal(0, harness.Audits);
        Assert.Empty(harness.Reports);
    }

    [Fact]
    public async Task A_permanent_failure_is_not_retried_and_a_storage_fault_is()
    {
        var attempts = new System.Collections.Concurrent.ConcurrentDictionary<int, int>();
        await using var harness = await OrchestratorHarness.StartAsync(new OrchestratorHarness
        {
            Items = 3,
            ProcessItems = r =>
            {
                var attempt = attempts.AddOrUpdate(r.Start, 1, (_, n) => n + 1);
                return r.Start switch
                {
                    // A bug or bad data fails the same way again: one attempt, then the item counts as failed.
                    0 => throw new InvalidOperationException("item 0 is broken"),
                    // So does a storage answer that will not change: its status travels as a failure property, since
                    // this message has no status line to read it from.
                    2 => throw new RequestFailedException(404, "The specified blob does not exist.", "BlobNotFound", null),
                    // Storage answering 503 can pass: the durable retry policy tries again.
                    _ when attempt == 1 => throw new RequestFailedException(503, "storage is busy"),
                    _ => Task.FromResult(new ItemsResult(1, 1, 0, null, NoUsage)),
                };
            },
            SampledItems = 0,
        });

        var run = await harness.WaitForEndAsync(await harness.StartRunAsync(OrchestratorHarness.Input("retries")));

        Assert.Equal(OrchestrationRuntimeStatus.Completed, run.RuntimeStatus);
        Assert.Equal(1, attempts[0]);
        Assert.Equal(2, attempts[1]);
        Assert.Equal(1, attempts[2]);
        var judging = Assert.Single(harness.Reports).Judging;
        Assert.Equal(1, judging.PairsWritten);
        Assert.Equal(2, judging.FailedItems);
        // The lanes that failed outside the LLM are recorded with the failed steps, so none is only in a host log.
        Assert.Equal([(0, 1), (2, 1)], harness.RecordedFailures.Select(f => (f.Start, f.Count)).Order());
        Assert.Contains("item 0 is broken", harness.RecordedFailures.Single(f => f.Start == 0).Error);
        Assert.Contains("does not exist", harness.RecordedFailures.Single(f => f.Start == 2).Error);
    }

    [Fact]
    public async Task A_refused_input_fails_the_run_with_its_line_errors_in_the_last_status()
    {
        var rejection = new InputRejection("synthpref-input/bad.jsonl",
            [new InputError(2, "prompt", "prompt is required"), new InputError(4, "id", "duplicate id 'x', first used on line 1")], 2, 2);
        await using var harness = await OrchestratorHarness.StartAsync(new OrchestratorHarness
        {
            LoadInput = _ => throw new InputRejectedException(rejection),
        });

        var run = await harness.WaitForEndAsync(await harness.StartRunAsync(OrchestratorHarness.Input("refused-input")));

        Assert.Equal(OrchestrationRuntimeStatus.Failed, run.RuntimeStatus);
        Assert.Empty(harness.ItemCalls);
        // The errors crossed from the loading step to the run as failure properties, and the run published them.
        var failure = run.ReadCustomStatusAs<RunProgress>()!.Failure!;
        Assert.Equal(rejection.Message, failure.Message);
        Assert.Equal(rejection.Errors, failure.Input!.Errors);
        Assert.Equal((2, 2), (failure.Input.TotalErrors, failure.Input.InvalidLines));
    }

    [Fact]
    public async Task A_run_that_fails_publishes_why_with_its_counts()
    {
        await using var harness = await OrchestratorHarness.StartAsync(new OrchestratorHarness
        {
            Items = 3,
            ProcessItems = r => Task.FromResult(new ItemsResult(r.Count, 0, r.Count, $"item {r.Start}: the judge refused", NoUsage)),
        });

        var run = await harness.WaitForEndAsync(await harness.StartRunAsync(OrchestratorHarness.Input("publishes-failure", window: 1)));

        var status = run.ReadCustomStatusAs<RunProgress>()!;
        Assert.Equal(run.FailureDetails!.ErrorMessage, status.Failure!.Message);
        Assert.Null(status.Failure.Input);
        Assert.Equal((3, 3), (status.Items, status.FailedItems));
    }

    [Fact]
    public async Task A_run_stops_once_more_items_failed_than_its_ratio_allows()
    {
        await using var harness = await OrchestratorHarness.StartAsync(new OrchestratorHarness
        {
            Items = 20,
            ProcessItems = r => Task.FromResult(r.Start % 4 == 0
                ? new ItemsResult(r.Count, 0, r.Count, $"item {r.Start}: the judge refused", NoUsage)
                : new ItemsResult(r.Count, r.Count, 0, null, NoUsage)),
        });

        // One lane at a time: items 0 and 4 fail, and 2 of 20 is not more than 0.1; item 8 is the third, and it is.
        var run = await harness.WaitForEndAsync(await harness.StartRunAsync(OrchestratorHarness.Input("ratio", window: 1, maxFailedItemsRatio: 0.1)));

        Assert.Equal(OrchestrationRuntimeStatus.Failed, run.RuntimeStatus);
        Assert.Contains("3 of 20 items failed, more than maxFailedItemsRatio 0.1 allows", run.FailureDetails!.ErrorMessage);
        Assert.Equal(Enumerable.Range(0, 9), harness.ItemCalls.Select(c => c.Start).Order());
        Assert.Empty(harness.Reports);
    }

    [Fact]
    public async Task A_close_sent_while_judging_holds_across_a_continue_as_new_and_skips_review()
    {
        var judging = new TaskCompletionSource();
        var closed = new TaskCompletionSource();
        await using var harness = await OrchestratorHarness.StartAsync(new OrchestratorHarness
        {
            Items = 5,
            ProcessItems = async r =>
            {
                if (r.Start == 0)
                {
                    judging.TrySetResult();
                    await closed.Task;
                }
                return new ItemsResult(r.Count, r.Count, 0, null, NoUsage);
            },
        });
        // Two items per execution: five items take three executions, so the close is sent in the first and must
        // hold in the third, where the review phase would open.
        var runId = await harness.StartRunAsync(OrchestratorHarness.Input("close-early", itemsPerExecution: 2, window: 1));

        await judging.Task.WaitAsync(TimeSpan.FromSeconds(30));
        // As the API does it: the phase is not open, so storage records the close and no event is needed; a stray
        // event sent anyway must not disturb the run either.
        Assert.False(harness.CloseInStorage(ReviewEnd.Closed));
        await harness.Client.RaiseAsync(runId, new ReviewClosed());
        closed.SetResult();

        var run = await harness.WaitForEndAsync(runId);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, run.RuntimeStatus);
        Assert.Contains("\"Generation\":2", run.SerializedInput);
        Assert.Equal(5, harness.ItemCalls.Count);
        var report = Assert.Single(harness.Reports);
        Assert.Equal(ReviewEnd.Closed, report.ReviewEndedBy);
        Assert.Equal(5, report.Judging.PairsWritten);
    }
}
