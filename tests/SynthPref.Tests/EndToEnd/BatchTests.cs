using System.Net.Http.Json;
using System.Text.Json;
using Azure.Data.Tables;
using SynthPref.FakeLlm;
using SynthPref.Orchestration.Judging;
using SynthPref.Tests.Infrastructure;

namespace SynthPref.Tests.EndToEnd;

/// <summary>
/// Runs through the provider's Batch API on the real local host: the fake server's Files and Batches endpoints,
/// answered by the same responder as its live calls, so a batch run can be set against a live run of the same input.
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class BatchTests(PipelineFixture fixture)
{
    /// <summary>Judged pairs (one unparseable at first, so re-asked), a prompt-only item (the policy samples it), a tie,
    /// and two rounds of critique → revise with verification: every kind of request, several depending on answers.</summary>
    static object[] Items(string tag, string extra = "") =>
    [
        new { id = "short", prompt = $"{tag} explain dns {extra}", category = "tech", response_a = "DNS maps names to addresses on the internet.", response_b = "A thing." },
        new { id = "good", prompt = $"{tag} explain tls {extra}", category = "tech", response_a = "TLS.", response_b = "[[good]] TLS encrypts traffic." },
        new { id = "tie", prompt = $"{tag} [[tie]] say hi {extra}", category = "chat", response_a = "hi", response_b = "hello" },
        new { id = "garbage", prompt = $"{tag} [[garbage]] pick one {extra}", category = "chat", response_a = "one", response_b = "two two" },
        new { id = "policy", prompt = $"{tag} write a haiku {extra}", category = "poetry" },
    ];

    static object Options(bool? batch, bool cache = true) => new
    {
        reviewSampleSize = 0, seed = 11, revisionRounds = 2, verifyRevisions = true, cache, batch,
    };

    int LiveCallsFor(string tag) => fixture.Llm.Requests.Count(r => r.Messages.Any(m => m.Text.Contains(tag, StringComparison.Ordinal)));

    [Fact]
    public async Task A_batch_run_gives_the_pairs_and_figures_of_a_live_run_with_no_live_call_and_its_rerun_creates_no_batch()
    {
        var tag = $"[[batch-{Guid.NewGuid():N}]]";
        // The live run pays every call (cache: false), so it leaves no answer behind for the batch run to find.
        var live = await fixture.Api.StartAsync(new { name = "live", items = Items(tag), options = Options(batch: false, cache: false) });
        await fixture.Api.WaitForAsync(live.RunId, "Completed");
        var liveCalls = LiveCallsFor(tag);
        Assert.True(liveCalls > 20, $"the live run made {liveCalls} calls");

        var batch = await fixture.Api.StartAsync(new { name = "batch", items = Items(tag), options = Options(batch: true) });
        var waiting = await WaitForBatchStateAsync(batch.RunId, "waiting", "ingesting", "ended");
        var done = await fixture.Api.WaitForAsync(batch.RunId, "Completed");
        Assert.True(liveCalls == LiveCallsFor(tag), $"{LiveCallsFor(tag) - liveCalls} live calls: {done.GetProperty("progress")}\n{string.Join("\n", fixture.Host.Log.Split((char)10).Where(l => l.Contains("Exception") || l.Contains("   at ")).Take(60))}");

        // The same pairs, field by field, and the same dataset.
        Assert.Equal(PairFields(await fixture.PairRowsAsync(live.RunId)), PairFields(await fixture.PairRowsAsync(batch.RunId)));
        Assert.Equal((await fixture.Api.DatasetAsync(live.RunId)).Select(l => l.GetRawText()), (await fixture.Api.DatasetAsync(batch.RunId)).Select(l => l.GetRawText()));

        var liveReport = await fixture.Api.ReportAsync(live.RunId);
        var report = await fixture.Api.ReportAsync(batch.RunId);
        foreach (var section in new[] { "pairs", "bias", "agreement", "agreementBySource", "datasetRows", "revisions", "failures" })
            Assert.Equal(liveReport.GetProperty(section).GetRawText(), report.GetProperty(section).GetRawText());
        // A run that did not batch has no batch section: its report.json is as it was.
        Assert.False(liveReport.TryGetProperty("batch", out _));

        // Every request answered by batch, with the tokens the live calls used, at half the price.
        var b = report.GetProperty("batch");
        Assert.Equal("nothing-left", b.GetProperty("endedBy").GetString());
        Assert.Equal(["judge", "reviser", "policy"], b.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));
        Assert.True(b.GetProperty("cycles").GetInt32() >= 5, b.ToString());
        Assert.Equal(0, b.GetProperty("answeredLive").GetInt32());
        Assert.Equal(0, b.GetProperty("failed").GetInt32());
        Assert.Equal(b.GetProperty("requestsSent").GetInt32(), b.GetProperty("answeredByBatch").GetInt32());
        Assert.All(b.GetProperty("batches").EnumerateArray(), r => Assert.Equal("completed", r.GetProperty("state").GetString()));
        var liveTokens = liveReport.GetProperty("cost").GetProperty("tokens");
        var tokens = report.GetProperty("cost").GetProperty("tokens");
        // The policy's two samples of the prompt-only item are the same text, so its two judge orders are one request:
        // the live run paid it twice, the batch run once, and its second asking is a cache hit.
        var (calls, hits) = (0, 0);
        foreach (var role in new[] { "judge", "reviser", "policy" })
        {
            var (l, t) = (liveTokens.GetProperty(role), tokens.GetProperty(role));
            Assert.Equal(0, t.GetProperty("calls").GetInt32());
            Assert.Equal(t.GetProperty("inputTokens").GetInt64(), t.GetProperty("batchInputTokens").GetInt64());
            Assert.Equal(t.GetProperty("outputTokens").GetInt64(), t.GetProperty("batchOutputTokens").GetInt64());
            Assert.Equal(l.GetProperty("calls").GetInt32(), t.GetProperty("batchAnswers").GetInt32() + t.GetProperty("cacheHits").GetInt32());
            calls += l.GetProperty("calls").GetInt32();
            hits += t.GetProperty("cacheHits").GetInt32();
        }
        Assert.Equal(1, hits);
        Assert.Equal(liveCalls, calls);
        Assert.Equal(calls - hits, b.GetProperty("answeredByBatch").GetInt32());
        Assert.Equal(hits, b.GetProperty("answeredFromCache").GetInt32());
        foreach (var role in new[] { "reviser", "policy" })
            foreach (var count in new[] { "inputTokens", "outputTokens" })
                Assert.Equal(liveTokens.GetProperty(role).GetProperty(count).GetInt64(), tokens.GetProperty(role).GetProperty(count).GetInt64());
        // Every token was a batch token, so the estimate is half its price at live prices, and the saving the other half.
        var cost = report.GetProperty("cost").GetProperty("estimated");
        Assert.Equal(cost.GetProperty("atLivePrices").GetDecimal() / 2, cost.GetProperty("total").GetDecimal());
        Assert.Equal(cost.GetProperty("total").GetDecimal(), cost.GetProperty("batchSaving").GetDecimal());
        Assert.True(cost.GetProperty("total").GetDecimal() > 0);
        Assert.Equal(0m, liveReport.GetProperty("cost").GetProperty("estimated").GetProperty("batchSaving").GetDecimal());

        // While it waited, the status named its batches with their state and counts.
        var shown = waiting.GetProperty("progress").GetProperty("batch");
        Assert.True(shown.GetProperty("cycle").GetInt32() >= 1);
        if (shown.GetProperty("batches").GetArrayLength() > 0)
            Assert.StartsWith("batch_fake_", shown.GetProperty("batches")[0].GetProperty("id").GetString());
        Assert.Equal("ended", done.GetProperty("progress").GetProperty("batch").GetProperty("state").GetString());
        // Each batch of the run was created once.
        var created = fixture.Llm.Batch.BatchesOf(batch.RunId);
        Assert.Equal(b.GetProperty("batches").GetArrayLength(), created.Count);
        Assert.Equal(created.Count, created.Select(c => c.Metadata["synthpref_batch"]).Distinct().Count());

        // A rerun of the same input finds every answer in the cache: no batch, no call, the same pairs.
        var rerun = await fixture.Api.StartAsync(new { name = "rerun", items = Items(tag), options = Options(batch: true) });
        await fixture.Api.WaitForAsync(rerun.RunId, "Completed");
        Assert.Empty(fixture.Llm.Batch.BatchesOf(rerun.RunId));
        Assert.Equal(liveCalls, LiveCallsFor(tag));
        Assert.Equal(PairFields(await fixture.PairRowsAsync(live.RunId)), PairFields(await fixture.PairRowsAsync(rerun.RunId)));
        var again = (await fixture.Api.ReportAsync(rerun.RunId)).GetProperty("batch");
        Assert.Equal("nothing-to-batch", again.GetProperty("endedBy").GetString());
        Assert.Equal(calls, again.GetProperty("answeredFromCache").GetInt32());
        Assert.Equal(0, again.GetProperty("answeredByBatch").GetInt32());
    }

    [Fact]
    public async Task An_expired_batch_is_sent_once_more_and_then_its_requests_go_live()
    {
        var tag = $"[[expire-{Guid.NewGuid():N}]]";
        object[] Pairs(string marker) =>
        [
            new { id = "a", prompt = $"{tag} {marker} one", response_a = "short", response_b = "a longer answer" },
            new { id = "b", prompt = $"{tag} {marker} two", response_a = "the longest answer here", response_b = "short" },
        ];
        var options = new { reviewSampleSize = 0, critiqueRevise = false, batch = true };

        // Expired once: the retry batch answers, and nothing goes live.
        var once = await fixture.Api.StartAsync(new { items = Pairs(FakeBatchApi.ExpireOnceMarker), options });
        await fixture.Api.WaitForAsync(once.RunId, "Completed");
        Assert.Equal(0, LiveCallsFor(tag));
        var retried = (await fixture.Api.ReportAsync(once.RunId)).GetProperty("batch");
        Assert.Equal((8, 4, 0, 0), (retried.GetProperty("requestsSent").GetInt32(), retried.GetProperty("answeredByBatch").GetInt32(),
            retried.GetProperty("answeredLive").GetInt32(), retried.GetProperty("sentTwice").GetInt32()));
        Assert.Equal(["expired", "completed"], retried.GetProperty("batches").EnumerateArray().Select(r => r.GetProperty("state").GetString()));

        // Expired every time: after the retry, the four judge requests are made live, and the run is as a live run.
        var always = await fixture.Api.StartAsync(new { items = Pairs(FakeBatchApi.ExpireMarker), options });
        await fixture.Api.WaitForAsync(always.RunId, "Completed");
        Assert.Equal(4, LiveCallsFor(tag));
        var report = await fixture.Api.ReportAsync(always.RunId);
        var b = report.GetProperty("batch");
        Assert.Equal((8, 0, 4, 0, 4), (b.GetProperty("requestsSent").GetInt32(), b.GetProperty("answeredByBatch").GetInt32(),
            b.GetProperty("answeredLive").GetInt32(), b.GetProperty("failed").GetInt32(), b.GetProperty("sentTwice").GetInt32()));
        Assert.Equal(["expired", "expired"], b.GetProperty("batches").EnumerateArray().Select(r => r.GetProperty("state").GetString()));
        Assert.Equal(2, fixture.Llm.Batch.BatchesOf(always.RunId).Count);
        var verdicts = (await fixture.PairRowsAsync(always.RunId)).OrderBy(r => r.RowKey).Select(r => r.GetString("Verdict"));
        Assert.Equal(["B", "A"], verdicts);
        var judge = report.GetProperty("cost").GetProperty("tokens").GetProperty("judge");
        Assert.Equal((4, 0, 4), (judge.GetProperty("calls").GetInt32(), judge.GetProperty("batchAnswers").GetInt32(), judge.GetProperty("batchFailed").GetInt32() / 2));
    }

    [Fact]
    public async Task With_fallback_fail_what_two_batches_left_unanswered_fails_its_step_and_a_close_during_the_wait_cancels_the_batch()
    {
        var tag = $"[[strict-{Guid.NewGuid():N}]]";
        var host = fixture.CreateHost("batchstrict", fixture.Llm.BaseUrl, new Dictionary<string, string>
        {
            ["Llm__Batch"] = "true",
            ["Llm__BatchFallback"] = "Fail",
            ["BlobTrigger__Enabled"] = "false",
        });
        await using var _ = host;
        await host.StartAsync();
        using var api = new SynthPrefApi(host.CreateClient());

        var run = await api.StartAsync(new
        {
            items = new object[]
            {
                new { id = "kept", prompt = $"{tag} kept", response_a = "short", response_b = "a longer answer" },
                new { id = "lost", prompt = $"{tag} lost {FakeBatchApi.ErrorMarker}", response_a = "short", response_b = "a longer answer" },
            },
            options = new { reviewSampleSize = 0, critiqueRevise = false, maxFailedItemsRatio = 1 },
        });
        await api.WaitForAsync(run.RunId, "Completed");
        Assert.Equal(0, LiveCallsFor(tag));
        var rows = await fixture.PairRowsAsync(run.RunId);
        Assert.Equal(["B"], rows.Select(r => r.GetString("Verdict")));
        var failures = (await api.Http.GetFromJsonAsync<JsonElement>($"/api/runs/{run.RunId}/failures", SynthPrefApi.Json)).GetProperty("failures");
        var failure = Assert.Single(failures.EnumerateArray());
        Assert.Equal(("lost", "judge"), (failure.GetProperty("inputId").GetString(), failure.GetProperty("step").GetString()));
        Assert.Contains("BatchFallback is fail", failure.GetProperty("error").GetString());
        var b = (await api.ReportAsync(run.RunId)).GetProperty("batch");
        Assert.Equal((2, 0, 2), (b.GetProperty("answeredByBatch").GetInt32(), b.GetProperty("answeredLive").GetInt32(), b.GetProperty("failed").GetInt32()));

        // A close while the batch is held in progress: it is cancelled, the run skips review and reports what it has.
        var held = fixture.Gate.HoldAnswersFor($"{tag} held");
        var closing = await api.StartAsync(new
        {
            items = new object[] { new { id = "held", prompt = $"{tag} held", response_a = "short", response_b = "a longer answer" } },
            options = new { reviewSampleSize = 5, critiqueRevise = false },
        });
        try
        {
            await held.WaitUntilHoldingAsync(TimeSpan.FromSeconds(60));
            await WaitForBatchStateAsync(closing.RunId, api, "waiting");
            var closed = await api.CloseAsync(closing.RunId, closing.ReviewToken);
            Assert.True(closed.IsSuccessStatusCode, await closed.Content.ReadAsStringAsync());
            await WaitUntilAsync(() => fixture.Llm.Batch.BatchesOf(closing.RunId) is [var only]
                                       && fixture.Llm.Batch.Describe(only.Id)["status"]!.GetValue<string>() == "cancelled");
        }
        finally
        {
            held.Release();
        }
        await Assert.ThrowsAsync<InvalidOperationException>(() => api.WaitForAsync(closing.RunId, "Completed"));
        var status = await api.StatusAsync(closing.RunId);
        Assert.Contains("No pair was written", status.GetProperty("error").GetString());
        Assert.Contains("closed while its batches were pending", status.GetProperty("error").GetString());
        Assert.Equal(0, LiveCallsFor(tag));
    }

    [Fact]
    public async Task A_host_killed_during_the_upload_and_again_while_the_batch_runs_creates_each_batch_once_and_loses_none()
    {
        var tag = $"[[restart-{Guid.NewGuid():N}]]";
        fixture.Llm.Batch.SlowUpload = TimeSpan.FromSeconds(4);
        var host = fixture.CreateHost("batchrestart", fixture.Llm.BaseUrl, new Dictionary<string, string> { ["BlobTrigger__Enabled"] = "false" });
        await using var _ = host;
        await host.StartAsync();
        using var api = new SynthPrefApi(host.CreateClient());
        var held = fixture.Gate.HoldAnswersFor($"{tag} held");
        var items = Enumerable.Range(0, 6).Select(i => new
        {
            id = $"i{i}", prompt = $"{tag} {(i == 0 ? "held" : "")} {FakeBatchApi.SlowUploadMarker} {i}", response_a = $"answer {i}",
            response_b = $"a longer answer {i}",
        }).ToArray();
        var run = await api.StartAsync(new { items, options = new { reviewSampleSize = 0, critiqueRevise = false, batch = true } });
        try
        {
            // Killed while it uploads: the provider never gets the file.
            await WaitUntilAsync(() => fixture.Llm.Batch.UploadsInProgress > 0);
            host.Kill();
            Assert.Empty(fixture.Llm.Batch.BatchesOf(run.RunId));
            await host.StartAsync();

            // The retried submit uploads and creates the batch; killed again while the provider holds it in progress.
            await WaitUntilAsync(() => fixture.Llm.Batch.BatchesOf(run.RunId).Count == 1);
            await held.WaitUntilHoldingAsync(TimeSpan.FromSeconds(60));
            await WaitForBatchStateAsync(run.RunId, api, "waiting");
            host.Kill();
            await host.StartAsync();
        }
        finally
        {
            held.Release();
            fixture.Llm.Batch.SlowUpload = TimeSpan.FromSeconds(3);
        }
        await api.WaitForAsync(run.RunId, "Completed");

        Assert.Equal(0, LiveCallsFor(tag));
        var batch = Assert.Single(fixture.Llm.Batch.BatchesOf(run.RunId));
        Assert.Equal(12, batch.Requests);
        Assert.Equal(6, (await fixture.PairRowsAsync(run.RunId)).Count(r => r.GetString("Verdict") == "B"));
        var b = (await api.ReportAsync(run.RunId)).GetProperty("batch");
        Assert.Equal((12, 12, 0), (b.GetProperty("requestsSent").GetInt32(), b.GetProperty("answeredByBatch").GetInt32(), b.GetProperty("answeredLive").GetInt32()));
    }

    Task<JsonElement> WaitForBatchStateAsync(string runId, params string[] states) => WaitForBatchStateAsync(runId, fixture.Api, states);

    static async Task<JsonElement> WaitForBatchStateAsync(string runId, SynthPrefApi api, params string[] states)
    {
        var until = DateTime.UtcNow.AddSeconds(120);
        JsonElement status = default;
        while (DateTime.UtcNow < until)
        {
            status = await api.StatusAsync(runId);
            if (status.GetProperty("progress").TryGetProperty("batch", out var batch) && batch.ValueKind == JsonValueKind.Object
                && states.Contains(batch.GetProperty("state").GetString()))
                return status;
            if (status.GetProperty("status").GetString() is "Completed" or "Failed")
                throw new InvalidOperationException($"Run {runId} ended before its batch phase was {string.Join("/", states)}: {status}");
            await Task.Delay(100);
        }
        throw new TimeoutException($"Run {runId}'s batch phase never was {string.Join("/", states)}; last {status}");
    }

    static async Task WaitUntilAsync(Func<bool> condition)
    {
        var until = DateTime.UtcNow.AddSeconds(120);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < until, "the condition never held");
            await Task.Delay(50);
        }
    }

    /// <summary>What a pair row says, without what differs between runs by construction (the run, the row's version).</summary>
    static List<string> PairFields(IEnumerable<TableEntity> rows) => rows.OrderBy(r => r.RowKey, StringComparer.Ordinal)
        .Select(r => string.Join("|", r.Keys.Where(k => k is not ("PartitionKey" or "Timestamp" or "odata.etag" or "RunId"))
            .Order(StringComparer.Ordinal).Select(k => $"{k}={r[k]}")))
        .ToList();
}
