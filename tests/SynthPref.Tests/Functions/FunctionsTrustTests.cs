using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using SynthPref.Functions.Functions;
using SynthPref.Orchestration.Api;
using SynthPref.Orchestration.Reviews;
using SynthPref.Orchestration.Runs;
using SynthPref.Orchestration.Workflow;
using SynthPref.Tests.Infrastructure;

namespace SynthPref.Tests.Functions;

/// <summary>
/// The trust scenario of <see cref="EndToEnd.TrustTests"/> through the Functions app's classes, with escalate: review: the
/// jury's trust points in the status, the first sample labelled through the review function, the escalation round of 3
/// in the same review items, the trust block, and both files (dataset through GetDataset, escalated.jsonl through
/// GetEscalated). The functions' own services have the judges' sections, as the app would configure them.
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class FunctionsTrustTests(PipelineFixture fixture, FunctionsAppFixture app) : IClassFixture<FunctionsAppFixture>, IAsyncLifetime
{
    ServiceProvider services = null!;
    DurableTaskClient client = null!;
    RunsFunctions functions = null!;

    public async Task InitializeAsync()
    {
        await app.StartAsync(fixture);
        services = app.CreateServices(fixture, app.Channel, fixture.Llm.BaseUrl.ToString(),
            PipelineFixture.JudgeSections(fixture.Llm.BaseUrl).ToDictionary(kv => kv.Key.Replace("__", ":"), kv => (string?)kv.Value));
        client = services.GetRequiredService<DurableTaskClient>();
        functions = ActivatorUtilities.CreateInstance<RunsFunctions>(services);
    }

    public async Task DisposeAsync() => await services.DisposeAsync();

    [Fact]
    public async Task Trust_levels_and_the_escalation_round_run_through_the_functions()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var refused = await StartRun(new { items = EndToEnd.TrustTests.Items(tag), options = new { trustTarget = 0.8, reviewSampleSize = 0 } });
        Assert.Equal(400, refused.Status);
        Assert.Contains("reviewSampleSize of at least 1", refused.Json.GetProperty("errors").GetProperty("options.trustTarget")[0].GetString());

        var started = await StartRun(new { items = EndToEnd.TrustTests.Items(tag), options = EndToEnd.TrustTests.Options(escalate: true) });
        Assert.True(started.Status == 202, started.Body);
        var (runId, token) = (started.As<StartRunResponse>().RunId, started.As<StartRunResponse>().ReviewToken);
        var awaiting = await WaitFor(runId, status => status.Status == RunStatus.AwaitingReview);
        Assert.Equal(new Dictionary<int, int> { [2] = 8, [4] = 8, [6] = 8 }, awaiting.Progress.PairsByTrustPoints!.ToDictionary());

        async Task Submit(string itemId, string reviewer, string preference) =>
            Assert.Equal(202, (await Send("POST", $"/api/runs/{runId}/reviews", (ctx, ct) => functions.SubmitReview(ctx.Request, runId, client, ct),
                new SubmitReviewRequest(itemId, reviewer, preference), token)).Status);
        await EndToEnd.TrustTests.LabelFirstRoundAsync(Submit, await ReviewItemsAsync(runId, token));

        var escalating = await WaitFor(runId, status => status.Progress.EscalationRound is not null);
        Assert.Equal((2, 2, 15), (escalating.Progress.EscalationRound, escalating.Progress.ReviewRound, escalating.Progress.SampledItems));
        Assert.Equal(2, escalating.Review!.EscalationRound);
        var items = await ReviewItemsAsync(runId, token);
        Assert.Equal(15, items.Length);
        var key = (await Send("GET", $"/api/runs/{runId}/review-sample", (ctx, ct) => functions.GetReviewSample(ctx.Request, runId, ct))).As<ReviewSampleView>();
        Assert.Equal(2, key.EscalationRound);
        await EndToEnd.TrustTests.LabelEscalationRoundAsync(Submit, items.Skip(12).ToList(), key.Items.ToDictionary(i => i.ItemId, i => i.InputId));
        var completed = await WaitFor(runId, status => status.Status == RunStatus.Completed);
        Assert.Equal((22, 1), (completed.Outputs!.DatasetRows, completed.Outputs.EscalatedRows));
        Assert.Equal($"synthpref-output/{runId}/escalated.jsonl", completed.Outputs.Escalated);

        var trust = (await Send("GET", $"/api/runs/{runId}/report", (ctx, ct) => functions.GetReport(ctx.Request, runId, client, ct))).Json.GetProperty("trust");
        Assert.Equal((12, 4, 16, 8), (trust.GetProperty("calibrationItems").GetInt32(), trust.GetProperty("threshold").GetInt32(),
            trust.GetProperty("trustedPairs").GetInt32(), trust.GetProperty("escalatedPairs").GetInt32()));
        Assert.Equal([0.5623, 0.5938, 0.3623], trust.GetProperty("levels").EnumerateArray().Select(l => Math.Round(l.GetProperty("lower").GetDouble(), 4)));
        var escalation = trust.GetProperty("escalation");
        Assert.Equal((2, 3, 7, 4, 1), (escalation.GetProperty("round").GetInt32(), escalation.GetProperty("roundItems").GetInt32(),
            escalation.GetProperty("reviewed").GetInt32(), escalation.GetProperty("overturned").GetInt32(), escalation.GetProperty("unreviewed").GetInt32()));

        var dataset = await Send("GET", $"/api/runs/{runId}/dataset", (ctx, ct) => functions.GetDataset(ctx.Request, runId, client, ct));
        var rows = Lines(dataset.Body);
        Assert.Equal(22, rows.Count);
        Assert.Equal(14, rows.Count(r => r.GetProperty("label_source").GetString() == "human"));
        var escalated = await Send("GET", $"/api/runs/{runId}/escalated", (ctx, ct) => functions.GetEscalated(ctx.Request, runId, client, ct));
        Assert.Equal((200, "application/x-ndjson"), (escalated.Status, escalated.ContentType));
        var row = Assert.Single(Lines(escalated.Body));
        Assert.Equal(2, row.GetProperty("trust_points").GetInt32());
        Assert.StartsWith("low-", row.GetProperty("input_id").GetString());
        var html = await Send("GET", $"/api/runs/{runId}/report.html", (ctx, ct) => functions.GetReportHtml(ctx.Request, runId, client, ct));
        Assert.Contains("data-chart=\"trust-curve\"", html.Body);
    }

    [Fact]
    public async Task A_run_without_trust_target_has_no_escalated_file_and_the_function_says_why()
    {
        var started = await StartRun(new
        {
            items = new[] { new { id = "one", prompt = $"{Guid.NewGuid():N} plain", response_a = "[[good]] a", response_b = "b" } },
            options = new { critiqueRevise = false, reviewSampleSize = 0 },
        });
        Assert.Equal(202, started.Status);
        var runId = started.As<StartRunResponse>().RunId;
        var completed = await WaitFor(runId, status => status.Status == RunStatus.Completed);
        Assert.Null(completed.Outputs!.Escalated);
        var none = await Send("GET", $"/api/runs/{runId}/escalated", (ctx, ct) => functions.GetEscalated(ctx.Request, runId, client, ct));
        Assert.Equal(404, none.Status);
        Assert.Contains("only a run with trustTarget escalates pairs", none.Body);
    }

    static List<JsonElement> Lines(string body) =>
        body.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();

    Task<FnResponse> StartRun(object body) =>
        Send("POST", "/api/runs", (ctx, ct) => functions.StartRun(ctx.Request, client, ct), body);

    async Task<ReviewItemView[]> ReviewItemsAsync(string runId, string token) =>
        (await Send("GET", $"/api/runs/{runId}/review-items", (ctx, ct) => functions.GetReviewItems(ctx.Request, runId, ct), token: token))
            .As<ReviewItemView[]>();

    async Task<RunStatusResponse> WaitFor(string runId, Func<RunStatusResponse, bool> condition)
    {
        var until = DateTime.UtcNow.AddSeconds(120);
        while (true)
        {
            var response = await Send("GET", $"/api/runs/{runId}", (ctx, ct) => functions.GetRun(ctx.Request, runId, client, ct));
            Assert.True(response.Status == 200, response.Body);
            var status = response.As<RunStatusResponse>();
            if (condition(status)) return status;
            if (status.Status == RunStatus.Failed) throw new InvalidOperationException($"Run {runId} failed: {status.Error}\n{app.Host.Log}");
            Assert.True(DateTime.UtcNow < until, $"run {runId} never got there; last status {status.Status}");
            await Task.Delay(200);
        }
    }

    Task<FnResponse> Send(string method, string path, Func<HttpContext, CancellationToken, Task<IResult>> function, object? body = null,
        string? token = null) =>
        FunctionCall.SendAsync(services, method, path, function, body, token: token);
}
