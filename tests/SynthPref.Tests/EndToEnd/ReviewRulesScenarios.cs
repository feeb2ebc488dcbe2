using System.Net;
using SynthPref.Tests.Infrastructure;

namespace SynthPref.Tests.EndToEnd;

/// <summary>The review contract on both hosts: tokens, unknown ids, bad labels, relabelling, close (also while judging) and the durable deadline.</summary>
public abstract class ReviewRulesScenarios(TestPipeline fixture)
{
    [Collection(PipelineCollection.Name)]
    public sealed class OnLocalHost(PipelineFixture fixture) : ReviewRulesScenarios(fixture);

    [Collection(FunctionsHostCollection.Name), Trait("Host", HostKinds.Functions)]
    public sealed class OnFunctionsHost : ReviewRulesScenarios
    {
        public OnFunctionsHost(FunctionsPipelineFixture fixture) : base(fixture) => FunctionsPipelineFixture.SkipUnlessAvailable();
    }

    static object[] TwoItems(string tag) =>
    [
        new { id = "one", prompt = $"{tag} one", category = "c1", response_a = "[[good]] a", response_b = "b" },
        new { id = "two", prompt = $"{tag} two", category = "c2", response_a = "a", response_b = "[[good]] b" },
    ];

    [SkippableFact]
    public async Task Token_unknown_ids_bad_labels_and_relabelling_follow_the_contract()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var run = await fixture.Api.StartAsync(new
        {
            items = TwoItems(tag),
            options = new { critiqueRevise = false, reviewSampleSize = 10, minReviewsPerItem = 2 },
        });
        await fixture.Api.WaitForAsync(run.RunId, "AwaitingReview");
        var items = await fixture.Api.ReviewItemsAsync(run);
        Assert.Equal(2, items.Length);
        var item = items[0];

        // Token: missing or wrong → 401, for reading and for writing.
        Assert.Equal(HttpStatusCode.Unauthorized, (await fixture.Api.Http.GetAsync($"/api/runs/{run.RunId}/review-items")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await fixture.Api.Http.GetAsync($"/api/runs/{run.RunId}/review-items?token=wrong")).StatusCode);
        // The right token in the query is refused too: URLs end up in logs, so tokens travel in the header only.
        Assert.Equal(HttpStatusCode.Unauthorized, (await fixture.Api.Http.GetAsync($"/api/runs/{run.RunId}/review-items?token={run.ReviewToken}")).StatusCode);
        var label = new { itemId = item.ItemId, reviewer = "ann", preference = "first" };
        Assert.Equal(HttpStatusCode.Unauthorized, (await fixture.Api.ReviewAsync(run.RunId, null, label)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await fixture.Api.ReviewAsync(run.RunId, "not-the-token", label)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await fixture.Api.CloseAsync(run.RunId, "not-the-token")).StatusCode);

        // Unknown run or item → 404.
        Assert.Equal(HttpStatusCode.NotFound, (await fixture.Api.ReviewAsync("run-unknown", run.ReviewToken, label)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await fixture.Api.Http.GetAsync("/api/runs/run-unknown")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await fixture.Api.ReviewAsync(run.RunId, run.ReviewToken,
            new { itemId = "item-000000000000", reviewer = "ann", preference = "first" })).StatusCode);

        // Bad body or label → 400.
        Assert.Equal(HttpStatusCode.BadRequest, (await fixture.Api.ReviewAsync(run.RunId, run.ReviewToken,
            new { itemId = item.ItemId, reviewer = "ann", preference = "A" })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await fixture.Api.ReviewAsync(run.RunId, run.ReviewToken,
            new { itemId = item.ItemId, preference = "first" })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await fixture.Api.ReviewAsync(run.RunId, run.ReviewToken,
            new { itemId = item.ItemId, reviewer = "ann", preference = "first, second" })).StatusCode);

        // The same reviewer twice on one item counts once, and the later label replaces the earlier.
        Assert.Equal(HttpStatusCode.Accepted, (await fixture.Api.ReviewAsync(run.RunId, run.ReviewToken, label)).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await fixture.Api.ReviewAsync(run.RunId, run.ReviewToken,
            new { itemId = item.ItemId, reviewer = "ann", preference = "second" })).StatusCode);
        await WaitForVotesAsync(run.RunId, 1);
        var status = await fixture.Api.StatusAsync(run.RunId);
        Assert.Equal("AwaitingReview", status.GetProperty("status").GetString());
        Assert.Equal(0, status.GetProperty("progress").GetProperty("itemsFullyReviewed").GetInt32());

        // Two distinct reviewers on every item complete the phase (minReviewsPerItem = 2).
        foreach (var reviewer in new[] { "bob", "cy" })
            foreach (var i in items)
                Assert.Equal(HttpStatusCode.Accepted, (await fixture.Api.ReviewAsync(run.RunId, run.ReviewToken,
                    new { itemId = i.ItemId, reviewer, preference = "tie" })).StatusCode);
        await fixture.Api.WaitForAsync(run.RunId, "Completed");

        var report = await fixture.Api.ReportAsync(run.RunId);
        Assert.Equal("complete", report.GetProperty("review").GetProperty("endedBy").GetString());
        // ann once (relabelled) + bob and cy on both items (all ties, which the judge never said).
        var overall = report.GetProperty("agreement").GetProperty("overall");
        Assert.Equal(5, overall.GetProperty("votes").GetInt32());
        // ann's later label ("second") counts, not her first: it agrees with the judge exactly when the
        // second-shown text is the judge's winner, which is the [[good]] one.
        var annAgrees = item.Second.Contains("[[good]]");
        Assert.Equal(annAgrees ? 1 : 0, overall.GetProperty("agree").GetInt32());

        // After the phase, labels are refused rather than silently dropped.
        Assert.Equal(HttpStatusCode.Conflict, (await fixture.Api.ReviewAsync(run.RunId, run.ReviewToken, label)).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await fixture.Api.CloseAsync(run.RunId, run.ReviewToken)).StatusCode);
    }

    [SkippableFact]
    public async Task Closing_ends_the_review_phase_at_once()
    {
        var run = await fixture.Api.StartAsync(new
        {
            items = TwoItems(Guid.NewGuid().ToString("N")[..8]),
            options = new { critiqueRevise = false, reviewSampleSize = 10 },
        });
        await fixture.Api.WaitForAsync(run.RunId, "AwaitingReview");
        Assert.Equal(HttpStatusCode.Conflict, (await fixture.Api.Http.GetAsync($"/api/runs/{run.RunId}/report")).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await fixture.Api.Http.GetAsync($"/api/runs/{run.RunId}/dataset")).StatusCode);

        Assert.Equal(HttpStatusCode.Accepted, (await fixture.Api.CloseAsync(run.RunId, run.ReviewToken)).StatusCode);
        await fixture.Api.WaitForAsync(run.RunId, "Completed");
        var report = await fixture.Api.ReportAsync(run.RunId);
        Assert.Equal("closed", report.GetProperty("review").GetProperty("endedBy").GetString());
        Assert.Equal(0, report.GetProperty("agreement").GetProperty("overall").GetProperty("votes").GetInt32());
    }

    [SkippableFact]
    public async Task Closing_while_the_run_is_still_judging_skips_the_review_phase()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var hold = fixture.Gate.HoldAnswersFor(tag);
        try
        {
            var run = await fixture.Api.StartAsync(new { items = TwoItems(tag), options = new { critiqueRevise = false, reviewSampleSize = 10 } });
            // The judge holds its answers, so the run is judging, and stays so, when the close arrives.
            await hold.WaitUntilHoldingAsync(TimeSpan.FromSeconds(60));
            Assert.Equal("Judging", (await fixture.Api.StatusAsync(run.RunId)).GetProperty("status").GetString());
            Assert.Equal(HttpStatusCode.Accepted, (await fixture.Api.CloseAsync(run.RunId, run.ReviewToken)).StatusCode);

            hold.Release();
            var seen = new List<string>();
            while (seen.LastOrDefault() != "Completed")
            {
                var status = (await fixture.Api.WaitForAsync(run.RunId, "Judging", "Auditing", "AwaitingReview", "Reporting", "Completed"))
                    .GetProperty("status").GetString()!;
                if (seen.LastOrDefault() != status) seen.Add(status);
                if (status != "Completed") await Task.Delay(100);
            }
            Assert.DoesNotContain("AwaitingReview", seen);
            var report = await fixture.Api.ReportAsync(run.RunId);
            Assert.Equal("closed", report.GetProperty("review").GetProperty("endedBy").GetString());
            Assert.Equal(0, report.GetProperty("review").GetProperty("votes").GetInt32());
            Assert.Equal(2, report.GetProperty("pairs").GetProperty("total").GetInt32());
        }
        finally
        {
            hold.Release();
        }
    }

    [SkippableFact]
    public async Task The_durable_deadline_ends_the_review_phase_without_reviews()
    {
        var run = await fixture.Api.StartAsync(new
        {
            items = TwoItems(Guid.NewGuid().ToString("N")[..8]),
            options = new { critiqueRevise = false, reviewSampleSize = 10, reviewDeadline = "PT4S" },
        });
        await fixture.Api.WaitForAsync(run.RunId, "Completed");
        var report = await fixture.Api.ReportAsync(run.RunId);
        Assert.Equal("deadline", report.GetProperty("review").GetProperty("endedBy").GetString());
        Assert.Equal(2, report.GetProperty("review").GetProperty("sampledItems").GetInt32());
    }

    async Task WaitForVotesAsync(string runId, int votes)
    {
        for (var i = 0; i < 120; i++)
        {
            var status = await fixture.Api.StatusAsync(runId);
            if (status.GetProperty("progress").GetProperty("votes").GetInt32() >= votes) return;
            await Task.Delay(250);
        }
        throw new TimeoutException($"Run {runId} never counted {votes} votes.");
    }
}
