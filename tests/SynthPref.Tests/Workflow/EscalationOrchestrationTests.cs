using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using SynthPref.Orchestration.Reviews;
using SynthPref.Orchestration.Settings;
using SynthPref.Orchestration.Trust;
using SynthPref.Orchestration.Workflow;

namespace SynthPref.Tests.Workflow;

/// <summary>The escalation round (orchestration version 3.0): one more review round after the last ordinary round
/// completes, for runs with trustTarget and escalate: review, and never after a close or the deadline.</summary>
public sealed class EscalationOrchestrationTests
{
    [Fact]
    public async Task After_the_last_round_completes_the_escalation_round_opens_and_its_own_completion_ends_review()
    {
        await using var harness = await OrchestratorHarness.StartAsync(new OrchestratorHarness
        {
            Items = 5,
            Record = true,
            Escalate = r => new ReviewRoundResult(true, r.Round + 1, 3, 5, null),
        });
        var input = OrchestratorHarness.Input("escalate", trustTarget: 0.8, escalate: Escalation.Review, maxEscalatedReviews: 3);
        var runId = await harness.StartRunAsync(input with { Settings = input.Settings with { TrustAlpha = 0.05 } });
        await harness.WaitForStatusAsync(runId, p => p.Phase == RunStatus.AwaitingReview);

        await harness.Client.RaiseAsync(runId, new ReviewsComplete(1));
        var escalated = await harness.WaitForStatusAsync(runId, p => p.EscalationRound == 2);
        Assert.Equal((2, 5, RunStatus.AwaitingReview), (escalated.ReviewRound, escalated.SampledItems, escalated.Phase));
        var request = Assert.Single(harness.EscalationRequests);
        Assert.Equal(("escalate", 1, 7, 1, 0.8, 0.05, 3),
            (request.RunId, request.Round, request.Seed, request.MinReviewsPerItem, request.TrustTarget, request.TrustAlpha, request.MaxEscalatedReviews));

        // Round 1's signal again is passed over; the escalation round's own signal ends the phase as complete.
        await harness.Client.RaiseAsync(runId, new ReviewsComplete(1));
        await harness.Client.RaiseAsync(runId, new ReviewsComplete(2));
        Assert.Equal(OrchestrationRuntimeStatus.Completed, (await harness.WaitForEndAsync(runId)).RuntimeStatus);
        Assert.Equal(ReviewEnd.Complete, Assert.Single(harness.Reports).ReviewEndedBy);
        Assert.Single(harness.EscalationRequests);
        Assert.Empty(harness.RoundRequests);
        var actions = harness.Backend!.Turns.Where(t => t.Request.InstanceId == runId).SelectMany(t => t.Response!.Actions).ToList();
        Assert.Single(actions, a => a.CreateTimer is not null);
        var result = (await harness.Client.GetInstanceAsync(runId, getInputsAndOutputs: true))!.ReadOutputAs<RunResult>()!;
        Assert.Equal("escalated.jsonl", result.Escalated);
    }

    [Fact]
    public async Task With_adaptive_rounds_escalation_follows_the_round_that_drew_nothing()
    {
        await using var harness = await OrchestratorHarness.StartAsync(new OrchestratorHarness
        {
            Items = 6,
            NextRound = r => r.Round == 1 ? new ReviewRoundResult(true, 2, 2, 4, null) : new ReviewRoundResult(true, 2, 0, 4, RoundsStop.TargetsMet),
            Escalate = r => new ReviewRoundResult(true, r.Round + 1, 1, 5, null),
        });
        var runId = await harness.StartRunAsync(OrchestratorHarness.Input("adaptive-escalate", targetCiWidth: 0.3, trustTarget: 0.7,
            escalate: Escalation.Review));
        await harness.WaitForStatusAsync(runId, p => p.Phase == RunStatus.AwaitingReview);
        await harness.Client.RaiseAsync(runId, new ReviewsComplete(1));
        await harness.WaitForStatusAsync(runId, p => p.ReviewRound == 2);
        Assert.Empty(harness.EscalationRequests);
        await harness.Client.RaiseAsync(runId, new ReviewsComplete(2));
        var escalated = await harness.WaitForStatusAsync(runId, p => p.EscalationRound is not null);
        Assert.Equal((3, 3), (escalated.ReviewRound, escalated.EscalationRound));
        Assert.Equal(2, Assert.Single(harness.EscalationRequests).Round);

        // A close during the escalation round ends review as closed.
        Assert.True(harness.CloseInStorage(ReviewEnd.Closed));
        await harness.Client.RaiseAsync(runId, new ReviewClosed());
        Assert.Equal(OrchestrationRuntimeStatus.Completed, (await harness.WaitForEndAsync(runId)).RuntimeStatus);
        Assert.Equal(ReviewEnd.Closed, Assert.Single(harness.Reports).ReviewEndedBy);
        Assert.Equal([1, 2], harness.RoundRequests.Select(r => r.Round));
    }

    [Fact]
    public async Task A_close_before_the_last_round_completes_opens_no_escalation_round()
    {
        await using var harness = await OrchestratorHarness.StartAsync(new OrchestratorHarness { Items = 3 });
        var runId = await harness.StartRunAsync(OrchestratorHarness.Input("close-first", trustTarget: 0.8, escalate: Escalation.Review));
        await harness.WaitForStatusAsync(runId, p => p.Phase == RunStatus.AwaitingReview);
        Assert.True(harness.CloseInStorage(ReviewEnd.Closed));
        await harness.Client.RaiseAsync(runId, new ReviewClosed());

        Assert.Equal(OrchestrationRuntimeStatus.Completed, (await harness.WaitForEndAsync(runId)).RuntimeStatus);
        Assert.Equal(ReviewEnd.Closed, Assert.Single(harness.Reports).ReviewEndedBy);
        Assert.Empty(harness.EscalationRequests);
    }

    [Fact]
    public async Task With_nothing_to_escalate_or_a_signal_ahead_of_storage_the_run_ends_or_waits_as_it_should()
    {
        var calls = 0;
        await using var harness = await OrchestratorHarness.StartAsync(new OrchestratorHarness
        {
            Items = 3,
            Escalate = r => Interlocked.Increment(ref calls) == 1
                // Storage does not yet have every label of round 1: the run waits for the next signal.
                ? new ReviewRoundResult(false, r.Round, 0, 2, null)
                : new ReviewRoundResult(true, r.Round, 0, 2, RoundsStop.NothingToEscalate),
        });
        var runId = await harness.StartRunAsync(OrchestratorHarness.Input("nothing", trustTarget: 0.8, escalate: Escalation.Review));
        await harness.WaitForStatusAsync(runId, p => p.Phase == RunStatus.AwaitingReview);
        await harness.Client.RaiseAsync(runId, new ReviewsComplete(1));
        await WaitUntil(() => harness.EscalationRequests.Count == 1);
        Assert.Equal(RunStatus.AwaitingReview, (await harness.Client.GetInstanceAsync(runId, getInputsAndOutputs: true))!.ReadCustomStatusAs<RunProgress>()!.Phase);
        await harness.Client.RaiseAsync(runId, new ReviewsComplete(1));

        Assert.Equal(OrchestrationRuntimeStatus.Completed, (await harness.WaitForEndAsync(runId)).RuntimeStatus);
        Assert.Equal(ReviewEnd.Complete, Assert.Single(harness.Reports).ReviewEndedBy);
        Assert.Equal(2, harness.EscalationRequests.Count);
    }

    [Fact]
    public async Task Without_escalate_review_or_on_a_run_stamped_2_0_no_escalation_round_is_drawn()
    {
        await using var harness = await OrchestratorHarness.StartAsync(new OrchestratorHarness { Items = 3 });
        var trustOnly = await harness.StartRunAsync(OrchestratorHarness.Input("trust-only", trustTarget: 0.8));
        var v2 = "stamped-2";
        await harness.Client.ScheduleNewOrchestrationInstanceAsync(nameof(RunOrchestrator),
            OrchestratorHarness.Input(v2, trustTarget: 0.8, escalate: Escalation.Review),
            new StartOrchestrationOptions { InstanceId = v2, Version = OrchestrationVersions.V2 });
        foreach (var runId in new[] { trustOnly, v2 })
        {
            await harness.WaitForStatusAsync(runId, p => p.Phase == RunStatus.AwaitingReview);
            await harness.Client.RaiseAsync(runId, new ReviewsComplete(1));
            Assert.Equal(OrchestrationRuntimeStatus.Completed, (await harness.WaitForEndAsync(runId)).RuntimeStatus);
        }
        Assert.Empty(harness.EscalationRequests);
        Assert.All(harness.Reports, r => Assert.Equal(ReviewEnd.Complete, r.ReviewEndedBy));
        // The report still gets the trust options: a 2.0 run started with them reports its trust, it only draws no round.
        Assert.All(harness.Reports, r => Assert.Equal(0.8, TrustOptions.Of(r.Settings!)!.Target));
    }

    [Fact]
    public async Task The_status_counts_the_decisive_judge_pairs_by_trust_points_from_each_lane()
    {
        await using var harness = await OrchestratorHarness.StartAsync(new OrchestratorHarness
        {
            Items = 4,
            ProcessItems = r => Task.FromResult(new Orchestration.Pairs.ItemsResult(r.Count, r.Count, 0, null,
                new Dictionary<string, Orchestration.Llm.LlmUsage>(), PairsByTrustPoints: new Dictionary<int, int> { [r.Start % 2 == 0 ? 6 : 2] = r.Count })),
        });
        var runId = await harness.StartRunAsync(OrchestratorHarness.Input("counts", itemsPerExecution: 2, trustTarget: 0.8));
        var status = await harness.WaitForStatusAsync(runId, p => p.Phase == RunStatus.AwaitingReview);
        // Items 0 and 2 give 6 points, 1 and 3 give 2, across a continue-as-new after two items.
        Assert.Equal(new Dictionary<int, int> { [2] = 2, [6] = 2 }, status.PairsByTrustPoints!.ToDictionary());
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
