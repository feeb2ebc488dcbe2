using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using SynthPref.Orchestration.Reviews;
using SynthPref.Orchestration.Workflow;

namespace SynthPref.Tests.Workflow;

/// <summary>The review phase in rounds (orchestration version 2.0), on the in-memory durable backend with the recording
/// server in the middle, so the run's own history shows what it scheduled.</summary>
public sealed class ReviewRoundsOrchestrationTests
{
    [Fact]
    public async Task Rounds_go_on_while_the_activity_adds_items_a_stale_signal_is_passed_over_and_one_timer_spans_the_phase()
    {
        var calls = 0;
        await using var harness = await OrchestratorHarness.StartAsync(new OrchestratorHarness
        {
            Items = 6,
            SampledItems = 2,
            Record = true,
            NextRound = r => Interlocked.Increment(ref calls) switch
            {
                // Round 1 reviewed: round 2 adds three items.
                1 => new ReviewRoundResult(true, 2, 3, 5, null),
                // A signal for round 2 that ran ahead of storage: the run waits on.
                2 => new ReviewRoundResult(false, 2, 0, 5, null),
                // Round 2 reviewed: every category meets the target.
                _ => new ReviewRoundResult(true, 2, 0, 5, RoundsStop.TargetsMet),
            },
        });
        var runId = await harness.StartRunAsync(OrchestratorHarness.Input("rounds", targetCiWidth: 0.2, maxReviewSampleSize: 50));

        var opened = await harness.WaitForStatusAsync(runId, p => p.Phase == RunStatus.AwaitingReview);
        Assert.Equal((1, 2), (opened.ReviewRound, opened.SampledItems));
        var open = Assert.Single(harness.OpenRequests);
        Assert.True(open.Rounds);
        Assert.Equal((0.2, 50), (open.TargetCiWidth, open.MaxReviewSampleSize));

        await harness.Client.RaiseAsync(runId, new ReviewsComplete(1));
        var second = await harness.WaitForStatusAsync(runId, p => p.ReviewRound == 2);
        Assert.Equal(5, second.SampledItems);
        var first = Assert.Single(harness.RoundRequests);
        Assert.Equal((1, 7, 1, 0.2, 50), (first.Round, first.Seed, first.MinReviewsPerItem, first.TargetCiWidth, first.MaxReviewSampleSize));

        // Round 1's signal again (a second last label, or a late delivery): the turn that takes it schedules nothing.
        await harness.Client.RaiseAsync(runId, new ReviewsComplete(1));
        var stale = await TurnTakingAsync(harness, runId, signal: 2);
        Assert.DoesNotContain(stale.Response!.Actions, a => a.ScheduleTask is not null || a.CompleteOrchestration is not null);
        // Round 2's signal, first ahead of storage, then for real.
        await harness.Client.RaiseAsync(runId, new ReviewsComplete(2));
        await WaitUntil(() => harness.RoundRequests.Count == 2);
        Assert.Equal(RunStatus.AwaitingReview, (await harness.Client.GetInstanceAsync(runId, getInputsAndOutputs: true))!.ReadCustomStatusAs<RunProgress>()!.Phase);
        await harness.Client.RaiseAsync(runId, new ReviewsComplete(2));

        var run = await harness.WaitForEndAsync(runId);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, run.RuntimeStatus);
        Assert.Equal(ReviewEnd.Complete, Assert.Single(harness.Reports).ReviewEndedBy);
        Assert.Equal([1, 2, 2], harness.RoundRequests.Select(r => r.Round));

        // The deadline is one durable timer for the whole phase, however many rounds: the retry policy makes none here.
        var actions = harness.Backend!.Turns.Where(t => t.Request.InstanceId == runId).SelectMany(t => t.Response!.Actions).ToList();
        Assert.Single(actions, a => a.CreateTimer is not null);
        Assert.Equal(3, actions.Count(a => a.ScheduleTask?.Name == "NextReviewRoundActivity"));
    }

    [Fact]
    public async Task Without_a_target_the_first_signal_ends_review_as_before_and_no_round_is_drawn()
    {
        await using var harness = await OrchestratorHarness.StartAsync(new OrchestratorHarness { Items = 3 });
        var runId = await harness.StartRunAsync(OrchestratorHarness.Input("no-target"));
        Assert.Equal(1, (await harness.WaitForStatusAsync(runId, p => p.Phase == RunStatus.AwaitingReview)).ReviewRound);

        await harness.Client.RaiseAsync(runId, new ReviewsComplete(1));

        Assert.Equal(OrchestrationRuntimeStatus.Completed, (await harness.WaitForEndAsync(runId)).RuntimeStatus);
        Assert.Equal(ReviewEnd.Complete, Assert.Single(harness.Reports).ReviewEndedBy);
        Assert.Empty(harness.RoundRequests);
        Assert.Null(Assert.Single(harness.OpenRequests).TargetCiWidth);
    }

    [Fact]
    public async Task A_close_during_a_later_round_ends_the_phase_as_closed()
    {
        await using var harness = await OrchestratorHarness.StartAsync(new OrchestratorHarness
        {
            Items = 4,
            NextRound = r => new ReviewRoundResult(true, r.Round + 1, 1, 3, null),
        });
        var runId = await harness.StartRunAsync(OrchestratorHarness.Input("close-in-round", targetCiWidth: 0.3));
        await harness.WaitForStatusAsync(runId, p => p.Phase == RunStatus.AwaitingReview);

        await harness.Client.RaiseAsync(runId, new ReviewsComplete(1));
        await harness.WaitForStatusAsync(runId, p => p.ReviewRound == 2);
        Assert.True(harness.CloseInStorage(ReviewEnd.Closed));
        await harness.Client.RaiseAsync(runId, new ReviewClosed());

        Assert.Equal(OrchestrationRuntimeStatus.Completed, (await harness.WaitForEndAsync(runId)).RuntimeStatus);
        Assert.Equal(ReviewEnd.Closed, Assert.Single(harness.Reports).ReviewEndedBy);
        Assert.Single(harness.RoundRequests);
    }

    [Fact]
    public async Task A_1_0_run_is_sent_true_and_takes_it_and_a_payload_without_a_round_never_fails_a_run()
    {
        await using var harness = await OrchestratorHarness.StartAsync(new OrchestratorHarness { Items = 3, Record = true });
        const string v1 = "stamped-1";
        await harness.Client.ScheduleNewOrchestrationInstanceAsync(nameof(RunOrchestrator), OrchestratorHarness.Input(v1),
            new StartOrchestrationOptions { InstanceId = v1, Version = OrchestrationVersions.V1 });
        var current = await harness.StartRunAsync(OrchestratorHarness.Input("current"));
        await harness.WaitForStatusAsync(v1, p => p.Phase == RunStatus.AwaitingReview);
        await harness.WaitForStatusAsync(current, p => p.Phase == RunStatus.AwaitingReview);

        // What the API raises for a phase that counts no rounds: the event without one, on the wire `true`, as 1.0 runs
        // have always been sent.
        await harness.Client.RaiseAsync(v1, new ReviewsComplete(null));
        // A payload no build sends (a hand-raised event, say) is read as no round, taken for the current one.
        await harness.Client.RaiseEventAsync(current, ReviewsComplete.Name, "not a round");

        foreach (var runId in new[] { v1, current })
            Assert.Equal(OrchestrationRuntimeStatus.Completed, (await harness.WaitForEndAsync(runId)).RuntimeStatus);
        Assert.All(harness.Reports, r => Assert.Equal(ReviewEnd.Complete, r.ReviewEndedBy));
        var raised = harness.Backend!.Turns.Where(t => t.Request.InstanceId == v1)
            .SelectMany(t => t.Request.NewEvents).Single(e => e.EventRaised?.Name == ReviewsComplete.Name);
        Assert.Equal("true", raised.EventRaised.Input);
        Assert.False(Assert.Single(harness.OpenRequests, r => r.RunId == v1).Rounds);
    }

    /// <summary>The orchestrator turn that received the run's <paramref name="signal"/>-th ReviewsComplete event, once answered.</summary>
    static async Task<(Microsoft.DurableTask.Protobuf.OrchestratorRequest Request, Microsoft.DurableTask.Protobuf.OrchestratorResponse? Response)> TurnTakingAsync(
        OrchestratorHarness harness, string runId, int signal)
    {
        var until = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var seen = 0;
            foreach (var turn in harness.Backend!.Turns.Where(t => t.Request.InstanceId == runId))
            {
                seen += turn.Request.NewEvents.Count(e => e.EventRaised?.Name == ReviewsComplete.Name);
                if (seen >= signal && turn.Response is not null) return turn;
            }
            Assert.True(DateTime.UtcNow < until, "the signal was never taken");
            await Task.Delay(50);
        }
    }

    static async Task WaitUntil(Func<bool> condition)
    {
        var until = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < until, "timed out");
            await Task.Delay(50);
        }
    }
}
