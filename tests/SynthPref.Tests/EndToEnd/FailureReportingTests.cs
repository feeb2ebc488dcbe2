using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using SynthPref.FakeLlm;
using SynthPref.Orchestration.Api;
using SynthPref.Orchestration.Judging;
using SynthPref.Orchestration.Storage;
using SynthPref.Tests.Infrastructure;

namespace SynthPref.Tests.EndToEnd;

/// <summary>
/// Every failed item step is kept with its error, readable over HTTP and listed in the report; a run that lost
/// items says so (degraded); maxFailedItemsRatio stops a run that lost too many; and a 409 names the run's real status.
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class FailureReportingTests(PipelineFixture fixture)
{
    [Fact]
    public async Task Every_failed_step_is_listed_by_the_failures_route_and_the_report_and_the_run_is_degraded()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        // 25 items whose critic is down: each keeps its judge pair and loses its revision pair.
        var run = await fixture.Api.StartAsync(new
        {
            name = "<b>markup</b> run",
            items = Enumerable.Range(0, 25).Select(i => new
            {
                id = $"f{i}", prompt = $"{tag} {FakeJudgeResponder.NoCritiqueMarker} {i}", response_a = "[[good]] a", response_b = "b",
            }).ToArray(),
            options = new { reviewSampleSize = 0, maxFailedItemsRatio = 1.0 },
        });
        var done = await fixture.Api.WaitForAsync(run.RunId, "Completed");
        Assert.Equal("Completed", done.GetProperty("status").GetString());
        Assert.True(done.GetProperty("degraded").GetBoolean());
        Assert.Equal(25, done.GetProperty("progress").GetProperty("failedItems").GetInt32());

        var failures = await fixture.Api.Http.GetFromJsonAsync<JsonElement>($"/api/runs/{run.RunId}/failures?take=1000");
        Assert.Equal(25, failures.GetProperty("total").GetInt32());
        Assert.True(failures.GetProperty("degraded").GetBoolean());
        var listed = failures.GetProperty("failures").EnumerateArray().ToList();
        Assert.Equal(Enumerable.Range(0, 25), listed.Select(f => f.GetProperty("itemIndex").GetInt32()));
        Assert.All(listed, f =>
        {
            Assert.Equal("critique-revise", f.GetProperty("step").GetString());
            Assert.Contains("HTTP 400", f.GetProperty("error").GetString());
        });
        Assert.Equal("f7", listed[7].GetProperty("inputId").GetString());
        var page = await fixture.Api.Http.GetFromJsonAsync<JsonElement>($"/api/runs/{run.RunId}/failures?skip=20&take=10");
        Assert.Equal(25, page.GetProperty("total").GetInt32());
        Assert.Equal([20, 21, 22, 23, 24], page.GetProperty("failures").EnumerateArray().Select(f => f.GetProperty("itemIndex").GetInt32()));

        // report.json lists them all; the HTML report the first 20, with the count.
        var report = await fixture.Api.ReportAsync(run.RunId);
        Assert.Equal(25, report.GetProperty("failures").GetProperty("total").GetInt32());
        Assert.Equal(25, report.GetProperty("failures").GetProperty("items").GetArrayLength());
        var html = await fixture.Api.Http.GetStringAsync($"/api/runs/{run.RunId}/report.html");
        Assert.Contains("25 steps failed; the first 20 are listed", html);
        Assert.Contains("<td>f19</td>", html);
        Assert.DoesNotContain("<td>f20</td>", html);
        Assert.DoesNotContain("<b>markup</b>", html);

        // The run list says so too.
        var runs = await fixture.Api.Http.GetFromJsonAsync<JsonElement>("/api/runs?take=500");
        Assert.True(runs.EnumerateArray().Single(r => r.GetProperty("runId").GetString() == run.RunId).GetProperty("degraded").GetBoolean());
        Assert.Equal(HttpStatusCode.NotFound, (await fixture.Api.Http.GetAsync("/api/runs/run-unknown/failures")).StatusCode);
    }

    [Fact]
    public async Task A_run_that_loses_more_items_than_maxFailedItemsRatio_allows_fails_and_its_item_activity_failures_are_recorded()
    {
        // A slow judge keeps items in flight while the run's input copy disappears under it (an operator's mistake, or
        // storage losing it): every item not yet read then fails outside the LLM, after the durable retries.
        var responder = FakeJudgeResponder.Create(JudgePrompt.TryExtract);
        await using var judge = await FakeOpenAiServer.StartAsync(async (r, ct) => { await Task.Delay(300, ct); return responder(r); });
        await using var host = fixture.CreateHost("ratio" + Guid.NewGuid().ToString("N")[..6], judge.BaseUrl, new Dictionary<string, string>
        {
            ["BlobTrigger__Enabled"] = "false",
            ["Llm__MaxConcurrency"] = "2",
        });
        await host.StartAsync();
        using var api = new SynthPrefApi(host.CreateClient());
        var tag = Guid.NewGuid().ToString("N")[..8];
        var run = await api.StartAsync(new
        {
            items = Enumerable.Range(0, 30).Select(i => new { id = $"r{i}", prompt = $"{tag} {i}", response_a = "[[good]] a", response_b = "b" }).ToArray(),
            options = new { critiqueRevise = false, reviewSampleSize = 0 },
        });
        var until = DateTime.UtcNow.AddSeconds(60);
        while ((await fixture.PairRowsAsync(run.RunId)).Count < 3 && DateTime.UtcNow < until) await Task.Delay(100);
        await fixture.Container(StorageNames.WorkContainer).GetBlobClient($"{run.RunId}/input.jsonl").DeleteAsync();

        var failed = await api.WaitForAsync(run.RunId, "Failed");
        var error = failed.GetProperty("error").GetString()!;
        Assert.Contains("maxFailedItemsRatio 0.1", error);
        Assert.Contains($"/api/runs/{run.RunId}/failures", error);
        var failedItems = failed.GetProperty("progress").GetProperty("failedItems").GetInt32();
        Assert.True(failedItems is >= 4 and < 30, $"{failedItems} items failed; the run should stop at the fourth of 30");

        // Each is recorded as a failure of the item's activity, with the storage error that caused it.
        var failures = await api.Http.GetFromJsonAsync<JsonElement>($"/api/runs/{run.RunId}/failures");
        var listed = failures.GetProperty("failures").EnumerateArray().ToList();
        Assert.Equal(failedItems, failures.GetProperty("total").GetInt32());
        // Every item is done, failed or never started, and status, failures route and message count them alike: the
        // lanes in flight when the ratio was crossed were let finish, so none of their failures is left uncounted.
        var counts = DataQualityScenarios.Counts(failed.GetProperty("progress").GetProperty("failureCounts"));
        Assert.Equal(counts, DataQualityScenarios.Counts(failures.GetProperty("failureCounts")));
        Assert.Equal((failedItems, failedItems), (counts.ItemsFailed, counts.StepsFailed));
        Assert.Equal(listed.Select(f => f.GetProperty("itemIndex").GetInt32()).Distinct().Count(), counts.ItemsFailed);
        Assert.True(counts.ItemsNotStarted > 0, $"{counts.ItemsNotStarted} items not started");
        Assert.Equal(30, failed.GetProperty("progress").GetProperty("pairsWritten").GetInt32() + counts.ItemsFailed + counts.ItemsNotStarted);
        Assert.Contains($"{failedItems} of 30 items failed ({failedItems} steps failed)", error);
        Assert.Contains($"{counts.ItemsNotStarted} items were not started", error);
        Assert.All(listed, f =>
        {
            Assert.Equal("item", f.GetProperty("step").GetString());
            Assert.Contains("BlobNotFound", f.GetProperty("error").GetString());
        });

        // Its outputs are refused with the run's real status.
        var report = await api.Http.GetAsync($"/api/runs/{run.RunId}/report");
        Assert.Equal(HttpStatusCode.Conflict, report.StatusCode);
        Assert.Contains("is Failed: ", (await report.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_judge_that_answers_200_with_an_empty_body_or_invalid_JSON_fails_those_steps_with_a_clear_error()
    {
        var responder = FakeJudgeResponder.Create(JudgePrompt.TryExtract);
        await using var judge = await FakeOpenAiServer.StartAsync(r =>
        {
            var text = string.Concat(r.Messages.Select(m => m.Text));
            if (text.Contains("[[empty-body]]")) return FakeReply.Raw("");
            if (text.Contains("[[broken-json]]")) return FakeReply.Raw("{\"id\":\"chatcmpl-1\",\"choices\":[{\"message\":{\"content\":\"PREF");
            return responder(r);
        });
        await using var host = fixture.CreateHost("broken" + Guid.NewGuid().ToString("N")[..6], judge.BaseUrl, new Dictionary<string, string>
        {
            ["BlobTrigger__Enabled"] = "false",
        });
        await host.StartAsync();
        using var api = new SynthPrefApi(host.CreateClient());
        var tag = Guid.NewGuid().ToString("N")[..8];
        var run = await api.StartAsync(new
        {
            items = new object[]
            {
                new { id = "ok", prompt = $"{tag} fine", response_a = "[[good]] a", response_b = "b" },
                new { id = "empty", prompt = $"{tag} [[empty-body]]", response_a = "[[good]] a", response_b = "b" },
                new { id = "broken", prompt = $"{tag} [[broken-json]]", response_a = "[[good]] a", response_b = "b" },
            },
            options = new { critiqueRevise = false, reviewSampleSize = 0, maxFailedItemsRatio = 1.0 },
        });
        var done = await api.WaitForAsync(run.RunId, "Completed");
        Assert.True(done.GetProperty("degraded").GetBoolean());
        Assert.Equal(1, done.GetProperty("progress").GetProperty("pairsWritten").GetInt32());

        var failures = (await api.Http.GetFromJsonAsync<JsonElement>($"/api/runs/{run.RunId}/failures")).GetProperty("failures").EnumerateArray().ToList();
        Assert.Equal(["empty", "broken"], failures.Select(f => f.GetProperty("inputId").GetString()));
        Assert.All(failures, f =>
        {
            Assert.Equal("judge", f.GetProperty("step").GetString());
            Assert.Contains("not a valid chat completion", f.GetProperty("error").GetString());
        });
        // A broken answer is not worth asking again: one call per order, no retries.
        Assert.Equal(2, judge.Requests.Count(r => r.Messages.Any(m => m.Text.Contains("[[empty-body]]"))));
        Assert.Equal(2, judge.Requests.Count(r => r.Messages.Any(m => m.Text.Contains("[[broken-json]]"))));
        Assert.Equal(["ok"], (await api.DatasetAsync(run.RunId)).Select(d => d.GetProperty("id").GetString()));
    }

    [Fact]
    public async Task A_run_started_as_version_1_keeps_version_1_steps_after_the_host_is_upgraded()
    {
        // Version 1 had no failure ratio: a run stamped 1.0 that loses every item still completes, even when a version 2
        // host finishes it, and replays without a non-determinism error.
        var responder = FakeJudgeResponder.Create(JudgePrompt.TryExtract);
        await using var judge = await FakeOpenAiServer.StartAsync(async (r, ct) => { await Task.Delay(200, ct); return responder(r); });
        var hub = "v1run" + Guid.NewGuid().ToString("N")[..6];
        var settings = new Dictionary<string, string> { ["BlobTrigger__Enabled"] = "false", ["Llm__MaxConcurrency"] = "2" };
        var tag = Guid.NewGuid().ToString("N")[..8];
        StartRunResponse run;
        await using (var v1 = fixture.CreateHost(hub, judge.BaseUrl, new Dictionary<string, string>(settings) { ["DurableTask__OrchestrationVersion"] = "1.0" }))
        {
            await v1.StartAsync();
            using var api1 = new SynthPrefApi(v1.CreateClient());
            run = await api1.StartAsync(new
            {
                items = Enumerable.Range(0, 12).Select(i => new
                {
                    id = $"v{i}", prompt = $"{tag} {FakeJudgeResponder.NoCritiqueMarker} {i}", response_a = "[[good]] a", response_b = "b",
                }).ToArray(),
                options = new { reviewSampleSize = 0 },
            });
            var until = DateTime.UtcNow.AddSeconds(60);
            while ((await fixture.PairRowsAsync(run.RunId)).Count < 2 && DateTime.UtcNow < until) await Task.Delay(100);
            v1.Kill();
        }

        await using var v2 = fixture.CreateHost(hub, judge.BaseUrl, settings);
        await v2.StartAsync();
        using var api = new SynthPrefApi(v2.CreateClient());
        var done = await api.WaitForAsync(run.RunId, "Completed");
        Assert.Equal(12, done.GetProperty("progress").GetProperty("failedItems").GetInt32());
        Assert.True(done.GetProperty("degraded").GetBoolean());
        Assert.Equal(12, (await api.ReportAsync(run.RunId)).GetProperty("pairs").GetProperty("bySource").GetProperty("judge").GetInt32());
    }
}
