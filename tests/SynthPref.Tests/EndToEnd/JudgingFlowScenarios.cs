using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using SynthPref.FakeLlm;
using SynthPref.Orchestration.Runs;
using SynthPref.Tests.Infrastructure;

namespace SynthPref.Tests.EndToEnd;

/// <summary>A run started over HTTP, judged, reviewed and reported, and critique-revise, on both hosts.</summary>
public abstract class JudgingFlowScenarios(TestPipeline fixture)
{
    [Collection(PipelineCollection.Name)]
    public sealed class OnLocalHost(PipelineFixture fixture) : JudgingFlowScenarios(fixture);

    [Collection(FunctionsHostCollection.Name), Trait("Host", HostKinds.Functions)]
    public sealed class OnFunctionsHost : JudgingFlowScenarios
    {
        public OnFunctionsHost(FunctionsPipelineFixture fixture) : base(fixture) => FunctionsPipelineFixture.SkipUnlessAvailable();
    }

    [SkippableFact]
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
        Assert.Equal(4, done.GetProperty("progress").GetProperty("votes").GetInt32());

        // The run list shows it, with where it came from and how it stands.
        var listed = (await fixture.Api.Http.GetFromJsonAsync<JsonElement[]>("/api/runs?take=500"))!.Single(r => r.GetProperty("runId").GetString() == run.RunId);
        Assert.Equal(("swap-and-ties", RunStarter.HttpSource, "Completed", false, run.StatusUri), (listed.GetProperty("name").GetString(),
            listed.GetProperty("source").GetString(), listed.GetProperty("status").GetString(), listed.GetProperty("degraded").GetBoolean(),
            listed.GetProperty("statusUri").GetString()));

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


    [SkippableFact]
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
}
