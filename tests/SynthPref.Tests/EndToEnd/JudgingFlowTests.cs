using System.Net;
using System.Text.Json;
using SynthPref.FakeLlm;
using SynthPref.Tests.Infrastructure;

namespace SynthPref.Tests.EndToEnd;

[Collection(PipelineCollection.Name)]
public sealed class JudgingFlowTests(PipelineFixture fixture)
{
    [Fact]
    public async Task Full_flow_judges_both_orders_turns_disagreement_into_ties_and_reports()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var run = await fixture.Api.StartAsync(new
        {
            name = "swap-and-ties",
            items = new object[]
            {
                new { id = "good-b", prompt = $"{tag} q1", category = "alpha", response_a = "short", response_b = "[[good]] a reply" },
                new { id = "biased", prompt = $"{tag} q2 [[first]]", category = "alpha", response_a = "left text", response_b = "right text" },
                new { id = "tie", prompt = $"{tag} q3 [[tie]]", category = "beta", response_a = "one", response_b = "two" },
                new { id = "longer-a", prompt = $"{tag} q4", category = "beta", response_a = "one two three four", response_b = "one" },
            },
            options = new { critiqueRevise = false, reviewSampleSize = 10, minReviewsPerItem = 1 },
        });
        Assert.EndsWith($"/api/runs/{run.RunId}", run.StatusUri);

        var status = await fixture.Api.WaitForAsync(run.RunId, "AwaitingReview");
        Assert.Equal(4, status.GetProperty("progress").GetProperty("pairsWritten").GetInt32());

        // Two calls per pair, one per order.
        Assert.Equal(8, fixture.JudgeCallsFor(tag));

        var items = await fixture.Api.ReviewItemsAsync(run);
        Assert.Equal(4, items.Length);
        using var rawRequest = new HttpRequestMessage(HttpMethod.Get, $"/api/runs/{run.RunId}/review-items");
        rawRequest.Headers.Add("X-Review-Token", run.ReviewToken);
        var raw = await (await fixture.Api.Http.SendAsync(rawRequest)).Content.ReadAsStringAsync();
        foreach (var item in JsonDocument.Parse(raw).RootElement.EnumerateArray())
            Assert.Equal(["itemId", "prompt", "category", "first", "second", "firstHtml", "secondHtml"], item.EnumerateObject().Select(p => p.Name));

        foreach (var item in items)
            Assert.Equal(HttpStatusCode.Accepted, (await fixture.Api.ReviewAsync(run.RunId, run.ReviewToken,
                new { itemId = item.ItemId, reviewer = "ann", preference = "tie" })).StatusCode);

        var done = await fixture.Api.WaitForAsync(run.RunId, "Completed");

        var report = await fixture.Api.ReportAsync(run.RunId);
        Assert.Equal(run.RunId, report.GetProperty("runId").GetString());
        Assert.Equal(4, report.GetProperty("pairs").GetProperty("total").GetInt32());
        Assert.Equal(4, report.GetProperty("pairs").GetProperty("bySource").GetProperty("judge").GetInt32());
        Assert.Equal(0, report.GetProperty("pairs").GetProperty("bySource").GetProperty("revision").GetInt32());
        var position = report.GetProperty("bias").GetProperty("position");
        Assert.Equal(4, position.GetProperty("pairsJudgedBothOrders").GetInt32());
        Assert.Equal(1, position.GetProperty("inconsistent").GetInt32());
        Assert.Equal(0.25, position.GetProperty("inconsistentRate").GetDouble(), 6);
        // Decisive calls: q1 B then A(=b shown first), q2 A and A, q4 A then B → 4 of 6 chose the first shown.
        Assert.Equal(4.0 / 6, position.GetProperty("firstPreferredRate").GetDouble(), 6);
        var length = report.GetProperty("bias").GetProperty("length");
        Assert.Equal(2, length.GetProperty("decisive").GetInt32());

        // Every human said tie; the judge said tie on q2 (inconsistent) and q3.
        var overall = report.GetProperty("agreement").GetProperty("overall");
        Assert.Equal(4, overall.GetProperty("votes").GetInt32());
        Assert.Equal(2, overall.GetProperty("agree").GetInt32());
        Assert.Equal(0, overall.GetProperty("votesExcludingTies").GetInt32());

        var dataset = await fixture.Api.DatasetAsync(run.RunId);
        Assert.Equal(["good-b", "longer-a"], dataset.Select(d => d.GetProperty("id").GetString()));
        Assert.Equal("[[good]] a reply", dataset[0].GetProperty("chosen").GetString());
        Assert.Equal("short", dataset[0].GetProperty("rejected").GetString());
        Assert.Equal("one two three four", dataset[1].GetProperty("chosen").GetString());
        Assert.All(dataset, d => Assert.Equal("judge", d.GetProperty("source").GetString()));

        var rows = await fixture.PairRowsAsync(run.RunId);
        Assert.Equal(4, rows.Count);
        Assert.Contains(rows, r => r.GetString("InputId") == "biased" && r.GetString("Verdict") == "Tie" && r.GetBoolean("PositionInconsistent") == true);

        // Outputs are in Blob Storage too.
        var output = fixture.Container("synthpref-output");
        Assert.True(await output.GetBlobClient($"{run.RunId}/report.json").ExistsAsync());
        Assert.True(await output.GetBlobClient($"{run.RunId}/report.html").ExistsAsync());
        Assert.True(await output.GetBlobClient($"{run.RunId}/dataset.jsonl").ExistsAsync());
    }

    [Fact]
    public async Task Report_audits_self_preference_against_the_configured_judge_model_and_format()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var run = await fixture.Api.StartAsync(new
        {
            items = new object[]
            {
                // The host's judge model is "fake-judge".
                new { id = "own-good", prompt = $"{tag} q1", response_a = "[[good]] mine", response_b = "theirs", model_a = "fake-judge", model_b = "other" },
                new { id = "own-longer", prompt = $"{tag} q2", response_a = "one two three", response_b = "one", model_a = "FAKE-JUDGE-2025-01-01", model_b = "other" },
                new { id = "own-loses", prompt = $"{tag} q3", response_a = "short", response_b = "[[good]] reply", model_a = "fake-judge", model_b = "other" },
                new { id = "both-own", prompt = $"{tag} q4", response_a = "one two", response_b = "one", model_a = "fake-judge", model_b = "fake-judge" },
                new { id = "formatted", prompt = $"{tag} q5", response_a = "- one\n- two", response_b = "plain text" },
            },
            options = new { critiqueRevise = false, reviewSampleSize = 0 },
        });
        await fixture.Api.WaitForAsync(run.RunId, "Completed");

        var bias = (await fixture.Api.ReportAsync(run.RunId)).GetProperty("bias");
        var self = bias.GetProperty("selfPreference");
        Assert.Equal(3, self.GetProperty("pairs").GetInt32());
        Assert.Equal(2, self.GetProperty("ownPreferred").GetInt32());
        Assert.Equal(2.0 / 3, self.GetProperty("share").GetDouble(), 6);
        // Beyond the margin, but 3 pairs cannot support a warning: insufficient data instead.
        Assert.False(self.GetProperty("warning").GetBoolean());
        Assert.True(self.GetProperty("insufficientData").GetBoolean());

        // "- one\n- two" has four words to "plain text"'s two, so the fake judge picks the formatted answer.
        var format = bias.GetProperty("format");
        Assert.Equal(1, format.GetProperty("pairs").GetInt32());
        Assert.Equal(1, format.GetProperty("formattedPreferred").GetInt32());
        Assert.Equal(1.0, format.GetProperty("share").GetDouble(), 6);
        Assert.False(format.GetProperty("warning").GetBoolean());
        Assert.True(format.GetProperty("insufficientData").GetBoolean());

        Assert.All(await fixture.PairRowsAsync(run.RunId), r => Assert.Equal("fake-judge", r.GetString("JudgeModel")));
    }

    [Fact]
    public async Task Critique_revise_adds_revision_pairs_where_the_revision_wins()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var run = await fixture.Api.StartAsync(new
        {
            items = new object[]
            {
                new { id = "both", prompt = $"{tag} explain", response_a = "first draft", response_b = "[[good]] other" },
                new { id = "only-a", prompt = $"{tag} summarise", category = "summaries", response_a = "original answer" },
            },
            options = new { reviewSampleSize = 0 },
        });
        await fixture.Api.WaitForAsync(run.RunId, "Completed");

        var report = await fixture.Api.ReportAsync(run.RunId);
        Assert.Equal(1, report.GetProperty("pairs").GetProperty("bySource").GetProperty("judge").GetInt32());
        Assert.Equal(2, report.GetProperty("pairs").GetProperty("bySource").GetProperty("revision").GetInt32());

        var dataset = await fixture.Api.DatasetAsync(run.RunId);
        var revisions = dataset.Where(d => d.GetProperty("source").GetString() == "revision").ToList();
        Assert.Equal(2, revisions.Count);
        var onlyA = revisions.Single(d => d.GetProperty("id").GetString() == "only-a");
        Assert.Equal(FakeJudgeResponder.RevisionPrefix + "original answer", onlyA.GetProperty("chosen").GetString());
        Assert.Equal("original answer", onlyA.GetProperty("rejected").GetString());
        Assert.Equal("summaries", onlyA.GetProperty("category").GetString());
        Assert.Equal("uncategorized", revisions.Single(d => d.GetProperty("id").GetString() == "both").GetProperty("category").GetString());

        // One critique and one revision call per revised item.
        Assert.Equal(2, fixture.Llm.Requests.Count(r => r.Messages.Any(m => m.Text.Contains($"{tag} summarise"))));
    }

    [Fact]
    public async Task A_failed_critique_keeps_the_items_judge_pair_and_is_reported()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var run = await fixture.Api.StartAsync(new
        {
            items = new object[]
            {
                new { id = "ok", prompt = $"{tag} fine", response_a = "[[good]] a", response_b = "b" },
                new { id = "critic-down", prompt = $"{tag} {FakeJudgeResponder.NoCritiqueMarker}", response_a = "[[good]] a", response_b = "b" },
            },
            // One item of two fails here on purpose; the default maxFailedItemsRatio (0.1) would stop the run.
            options = new { reviewSampleSize = 0, maxFailedItemsRatio = 1.0 },
        });
        var done = await fixture.Api.WaitForAsync(run.RunId, "Completed");
        Assert.Equal(3, done.GetProperty("progress").GetProperty("pairsWritten").GetInt32());
        Assert.Equal(1, done.GetProperty("progress").GetProperty("failedItems").GetInt32());

        var pairs = (await fixture.Api.ReportAsync(run.RunId)).GetProperty("pairs");
        Assert.Equal(2, pairs.GetProperty("bySource").GetProperty("judge").GetInt32());
        Assert.Equal(1, pairs.GetProperty("bySource").GetProperty("revision").GetInt32());
        Assert.Equal(1, pairs.GetProperty("failedItems").GetInt32());
        Assert.Contains("item 1 critique-revise", pairs.GetProperty("firstFailure").GetString());
        Assert.Contains("critic-down", (await fixture.Api.DatasetAsync(run.RunId)).Select(d => d.GetProperty("id").GetString()));
    }

    [Fact]
    public async Task Unparseable_judge_output_is_retried_once_then_recorded_and_left_out()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var run = await fixture.Api.StartAsync(new
        {
            items = new object[]
            {
                new { id = "garbled", prompt = $"{tag} [[garbage]] what?", response_a = "x", response_b = "y" },
                new { id = "fine", prompt = $"{tag} fine", response_a = "[[good]] x", response_b = "y" },
            },
            options = new { critiqueRevise = false, reviewSampleSize = 10 },
        });
        await fixture.Api.WaitForAsync(run.RunId, "AwaitingReview");

        // Two orders, each tried twice.
        Assert.Equal(4, fixture.JudgeCallsFor($"{tag} [[garbage]]"));
        var items = await fixture.Api.ReviewItemsAsync(run);
        var inputs = await fixture.Api.InputIdsAsync(run.RunId);
        Assert.Equal(["fine"], items.Select(i => inputs[i.ItemId]));

        Assert.Equal(HttpStatusCode.Accepted, (await fixture.Api.CloseAsync(run.RunId, run.ReviewToken)).StatusCode);
        await fixture.Api.WaitForAsync(run.RunId, "Completed");
        var report = await fixture.Api.ReportAsync(run.RunId);
        Assert.Equal(1, report.GetProperty("pairs").GetProperty("unparseable").GetInt32());
        Assert.Equal(["fine"], (await fixture.Api.DatasetAsync(run.RunId)).Select(d => d.GetProperty("id").GetString()));

        var garbled = (await fixture.PairRowsAsync(run.RunId)).Single(r => r.GetString("InputId") == "garbled");
        Assert.Equal("Unparseable", garbled.GetString("Verdict"));
        Assert.Equal(4, garbled.GetInt32("JudgeCalls"));
    }

    [Fact]
    public async Task Prompt_only_items_get_two_generated_responses_then_are_judged()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var run = await fixture.Api.StartAsync(new
        {
            items = new object[] { new { id = "gen", prompt = $"{tag} write a haiku" } },
            options = new { critiqueRevise = false, reviewSampleSize = 0 },
        });
        await fixture.Api.WaitForAsync(run.RunId, "Completed");
        var row = Assert.Single(await fixture.PairRowsAsync(run.RunId));
        Assert.False(string.IsNullOrEmpty(row.GetString("ResponseA")));
        Assert.False(string.IsNullOrEmpty(row.GetString("ResponseB")));
        // The fake policy writes the same text for both samples, so both orders are one and the same request: the
        // judge answers it once, and the other order is that answer.
        Assert.Equal(1, fixture.JudgeCallsFor(tag));
        Assert.Equal(2, row.GetInt32("JudgeCalls"));
    }
}
