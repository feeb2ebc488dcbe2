using System.Net;
using Azure.Data.Tables;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Caching.Distributed;
using SynthPref.FakeLlm;
using SynthPref.Orchestration.Judging;
using SynthPref.Orchestration.Llm;
using SynthPref.Orchestration.Revision;
using SynthPref.Orchestration.Runs;
using SynthPref.Orchestration.Storage;
using SynthPref.Tests.Infrastructure;

namespace SynthPref.Tests.EndToEnd;

/// <summary>The storage-first core: the response cache, failure-aware retries, labels that never reach the
/// orchestration, uploads refused for configuration, and two hosts sharing one run.</summary>
[Collection(PipelineCollection.Name)]
public sealed class DurableCoreTests(PipelineFixture fixture)
{
    static object[] Items(string tag, int count) => Enumerable.Range(0, count).Select(i => (object)new
    {
        id = $"i{i}", prompt = $"{tag} prompt {i}", category = $"c{i % 3}",
        response_a = $"answer {i} with some more words", response_b = $"answer {i}",
    }).ToArray();

    [Fact]
    public async Task A_rerun_of_the_same_input_is_answered_from_the_cache_and_the_report_counts_it()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        // The same seed: each revision round's principle is drawn from it, so a rerun asks the very same critiques.
        var body = new { items = Items(tag, 6), options = new { critiqueRevise = true, reviewSampleSize = 0, seed = 7 } };

        var first = await fixture.Api.StartAsync(body);
        await fixture.Api.WaitForAsync(first.RunId, "Completed");
        var judgeCalls = fixture.JudgeCallsFor(tag);
        var critiques = CritiqueCalls(tag);
        Assert.Equal(12, judgeCalls);
        Assert.Equal(6, critiques);

        var second = await fixture.Api.StartAsync(body);
        var done = await fixture.Api.WaitForAsync(second.RunId, "Completed");

        // Not one call again: every judge, critique and revision answer comes from the cache.
        Assert.Equal(judgeCalls, fixture.JudgeCallsFor(tag));
        Assert.Equal(critiques, CritiqueCalls(tag));
        var llm = done.GetProperty("progress").GetProperty("llm");
        Assert.Equal(0, llm.GetProperty("calls").GetInt32());
        Assert.Equal(24, llm.GetProperty("cacheHits").GetInt32());
        var tokens = (await fixture.Api.ReportAsync(second.RunId)).GetProperty("cost").GetProperty("tokens");
        Assert.Equal(12, tokens.GetProperty(PairwiseJudge.Role).GetProperty("cacheHits").GetInt32());
        Assert.Equal(0, tokens.GetProperty(PairwiseJudge.Role).GetProperty("calls").GetInt32());
        Assert.Equal(12, tokens.GetProperty(ConstitutionalReviser.Role).GetProperty("requests").GetInt32());

        // The first run paid for its calls, and its tokens are the provider's own counts.
        var paid = (await fixture.Api.ReportAsync(first.RunId)).GetProperty("cost").GetProperty("tokens").GetProperty(PairwiseJudge.Role);
        Assert.Equal(12, paid.GetProperty("calls").GetInt32());
        Assert.True(paid.GetProperty("inputTokens").GetInt64() > 0);

        // Both runs produced the same dataset.
        Assert.Equal((await fixture.Api.DatasetAsync(first.RunId)).Select(r => r.GetRawText()),
            (await fixture.Api.DatasetAsync(second.RunId)).Select(r => r.GetRawText()));
    }

    /// <summary>
    /// Identical requests inside one run cost one call, whatever their timing. Two lanes of two items: lane A holds an
    /// item the judge keeps waiting, then a copy of lane B's first item. Both lanes have read their cache entries ahead
    /// (the copy's are absent then) before lane B's item is answered and stored; only then does lane A reach the copy.
    /// Its read-ahead is stale by then, and must not make it pay again: the fake judge sees the pair's two requests once.
    /// </summary>
    [Fact]
    public async Task An_identical_request_after_the_first_was_stored_is_answered_from_the_cache_though_its_lane_read_ahead_before()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        await using var host = fixture.CreateHost("dup" + Guid.NewGuid().ToString("N")[..8], fixture.Llm.BaseUrl, new Dictionary<string, string>
        {
            ["BlobTrigger__Enabled"] = "false",
            ["Judging__Window"] = "2",
            ["Judging__ItemsPerActivity"] = "2",
        });
        await host.StartAsync();
        using var api = new SynthPrefApi(host.CreateClient());
        object Item(string id, string prompt) => new { id, prompt, response_a = "[[good]] first answer", response_b = "second answer" };
        // Guided self-scheduling over 8 items and a window of 2: lanes [0, 1] and [2, 3] first.
        object[] items =
        [
            Item("held", $"{tag}-held"), Item("copy", $"{tag} dup"),
            Item("original", $"{tag} dup"), Item("other", $"{tag} other"),
            .. Enumerable.Range(4, 4).Select(i => Item($"f{i}", $"{tag} filler {i}")),
        ];
        var held = fixture.Gate.HoldAnswersFor($"{tag}-held");
        var original = fixture.Gate.HoldAnswersFor($"{tag} dup");
        try
        {
            var run = await api.StartAsync(new { items, options = new { critiqueRevise = false, reviewSampleSize = 0 } });
            // Each lane reads its entries ahead before its first call: both are past that once both calls are held.
            await held.WaitUntilHoldingAsync(TimeSpan.FromSeconds(60));
            await original.WaitUntilHoldingAsync(TimeSpan.FromSeconds(60));
            original.Release();
            // Lane B writes its pairs after its calls' answers are stored.
            var until = DateTime.UtcNow.AddSeconds(60);
            while (!(await fixture.PairRowsAsync(run.RunId)).Any(r => r.GetString("InputId") == "original") && DateTime.UtcNow < until)
                await Task.Delay(100);
            Assert.Equal(2, fixture.JudgeCallsFor($"{tag} dup"));
            held.Release();

            var done = await api.WaitForAsync(run.RunId, "Completed");
            Assert.Equal(2, fixture.JudgeCallsFor($"{tag} dup"));
            // 7 distinct pairs paid for in both orders; the copy's two requests were answered from the cache.
            var llm = done.GetProperty("progress").GetProperty("llm");
            Assert.Equal((14, 2), (llm.GetProperty("calls").GetInt32(), llm.GetProperty("cacheHits").GetInt32()));
            var rows = (await fixture.PairRowsAsync(run.RunId)).ToDictionary(r => r.GetString("InputId")!);
            Assert.Equal(8, rows.Count);
            Assert.Equal(rows["original"].GetString("Verdict"), rows["copy"].GetString("Verdict"));
        }
        finally
        {
            held.Release();
            original.Release();
        }
    }

    /// <summary>
    /// The other half of that promise, on the real response cache in Azurite: an identical request arriving while the
    /// first one's answer is on its way to storage (its group commit held here) waits for it instead of paying again.
    /// </summary>
    [Fact]
    public async Task An_identical_request_while_the_first_answer_is_being_stored_waits_for_it()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        await using var server = await FakeOpenAiServer.StartAsync(r => FakeReply.Answer("answer to " + r.LastUserText));
        var cache = new HeldWrites(new TableDistributedCache(StorageClients.FromConnectionString(fixture.StorageConnectionString)));
        using var client = ChatClientFactory.Create(new LlmOptions
        {
            Provider = LlmProvider.OpenAICompatible, Endpoint = server.BaseUrl.ToString(), Model = "held-" + tag,
        }, JudgePrompt.TryExtract, cache);
        ChatMessage[] request = [new(ChatRole.User, $"{tag} stored late")];

        var first = client.GetResponseAsync(request);
        await cache.Arrived.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Single(server.Requests);
        var second = client.GetResponseAsync(request);
        Assert.False(second.IsCompleted);
        cache.Release();

        Assert.Equal(["answer to " + request[0].Text, "answer to " + request[0].Text], (await Task.WhenAll(first, second)).Select(r => r.Text));
        Assert.Single(server.Requests);
        // And once stored, a later one is a cache hit too.
        Assert.Equal("answer to " + request[0].Text, (await client.GetResponseAsync(request)).Text);
        Assert.Single(server.Requests);
    }

    /// <summary>
    /// A judging lane defers its cache writes: this process reads them at once, from any unit of work, while the table
    /// (and so another process) has none of them until the lane flushes, and then has them all.
    /// </summary>
    [Fact]
    public async Task Deferred_cache_writes_are_read_here_at_once_and_stored_when_the_lane_flushes()
    {
        var (storage, cache, otherProcess, tag, keys, value) = TwoCaches(3);
        var table = storage.Table(StorageNames.LlmCacheTable);
        async Task<int> Stored()
        {
            var count = 0;
            await foreach (var _ in table.QueryAsync<TableEntity>($"PartitionKey eq 'p{tag}'")) count++;
            return count;
        }

        using var lane = LlmCallScope.Begin(cacheEnabled: true, deferCacheWrites: true);
        for (var i = 0; i < keys.Length; i++)
            await cache.SetAsync(keys[i], value(i), new DistributedCacheEntryOptions());
        Assert.Equal(0, await Stored());
        using (LlmCallScope.Begin(cacheEnabled: true))
        {
            Assert.Equal(value(1), await cache.GetAsync(keys[1]));
            Assert.Null(await otherProcess.GetAsync(keys[1]));
        }

        await cache.FlushAsync(lane);
        Assert.Equal(3, await Stored());
        for (var i = 0; i < keys.Length; i++)
            Assert.Equal(value(i), await otherProcess.GetAsync(keys[i]));
        Assert.Equal(value(2), await cache.GetAsync(keys[2]));
    }

    /// <summary>
    /// A read-ahead registers every key's read before it returns, so a call made at once waits for its own key's read
    /// instead of reading again; what the reads found (present, absent, stored by this process since) is what the
    /// calls get.
    /// </summary>
    [Fact]
    public async Task A_read_ahead_is_registered_at_once_and_each_call_takes_its_own_keys_read()
    {
        var (_, cache, _, _, keys, value) = TwoCaches(20);
        for (var i = 0; i < keys.Length; i += 2)
            await cache.SetAsync(keys[i], value(i), new DistributedCacheEntryOptions());

        using var lane = LlmCallScope.Begin(cacheEnabled: true);
        var reads = cache.PrefetchAsync(keys.Concat(keys.Take(3)), CancellationToken.None);
        Assert.Equal(keys.Length, lane.Prefetched.Count);
        Assert.Equal(value(0), await cache.GetAsync(keys[0]));
        // Absent when it was read, then stored by this process: read again, not taken from the read-ahead.
        await cache.SetAsync(keys[1], value(1), new DistributedCacheEntryOptions());
        Assert.Equal(value(1), await cache.GetAsync(keys[1]));
        await reads;
        Assert.All(lane.Prefetched.Values, read => Assert.True(read.IsCompletedSuccessfully));
        for (var i = 2; i < keys.Length; i++)
            Assert.Equal(i % 2 == 0 ? value(i) : null, await cache.GetAsync(keys[i]));
    }

    /// <summary>
    /// A pass lists a partition once and reads no key its listing shows absent: an answer stored before the pass began
    /// is found, one this process stores during it is found, one another process stores during it is not (it would be
    /// paid for again), and the next pass finds it. A partition too large to list is read key by key.
    /// </summary>
    [Fact]
    public async Task A_pass_takes_absences_from_one_listing_and_this_processs_writes()
    {
        var (storage, cache, otherProcess, tag, keys, value) = TwoCaches(5);
        var options = new DistributedCacheEntryOptions();
        await otherProcess.SetAsync(keys[0], value(0), options);

        using (LlmCallScope.Begin(cacheEnabled: true, cachePass: $"{tag}/judging"))
        {
            Assert.Equal(value(0), await cache.GetAsync(keys[0]));
            Assert.Null(await cache.GetAsync(keys[1]));
            await otherProcess.SetAsync(keys[1], value(1), options);
            Assert.Null(await cache.GetAsync(keys[1]));
            await cache.SetAsync(keys[2], value(2), options);
            Assert.Equal(value(2), await cache.GetAsync(keys[2]));
        }
        using (var lane = LlmCallScope.Begin(cacheEnabled: true, cachePass: $"{tag}/judging"))
        {
            await cache.PrefetchAsync(keys, CancellationToken.None);
            var read = await Task.WhenAll(keys.Select(k => lane.Prefetched[k]));
            Assert.Equal([value(0), null, value(2), null, null], read.Select(r => r.Value));
        }
        // Without a pass, and in the next one, every key is read.
        using (LlmCallScope.Begin(cacheEnabled: true))
            Assert.Equal(value(1), await cache.GetAsync(keys[1]));
        using (LlmCallScope.Begin(cacheEnabled: true, cachePass: $"{tag}/collect/2"))
            Assert.Equal([value(0), value(1), value(2), null], await Task.WhenAll(keys[..4].Select(k => cache.GetAsync(k))));

        // Two keys are as many as this cache's listings may hold, and the partition has three: it is read key by key.
        var small = new TableDistributedCache(storage) { MaxListedKeys = 2 };
        using (LlmCallScope.Begin(cacheEnabled: true, cachePass: $"{tag}/small"))
        {
            Assert.Null(await small.GetAsync(keys[3]));
            await otherProcess.SetAsync(keys[3], value(3), options);
            Assert.Equal(value(3), await small.GetAsync(keys[3]));
        }
    }

    /// <summary>The real response cache twice over the fixture's storage, as two processes have it, and
    /// <paramref name="count"/> keys in a partition of the test's own (named by <c>tag</c>); <c>value(i)</c> is what a
    /// test stores under key i.</summary>
    (StorageClients Storage, TableDistributedCache Cache, TableDistributedCache OtherProcess, string Tag, string[] Keys, Func<int, byte[]> Value)
        TwoCaches(int count)
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var storage = StorageClients.FromConnectionString(fixture.StorageConnectionString);
        return (storage, new TableDistributedCache(storage), new TableDistributedCache(storage), tag,
            Enumerable.Range(0, count).Select(i => $"p{tag}/request {i}").ToArray(), i => System.Text.Encoding.UTF8.GetBytes($"answer {i} {tag}"));
    }

    /// <summary>The real cache, with every write held until the test lets it through.</summary>
    sealed class HeldWrites(IDistributedCache inner) : IDistributedCache
    {
        readonly TaskCompletionSource arrived = new(TaskCreationOptions.RunContinuationsAsynchronously);
        readonly TaskCompletionSource released = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Arrived => arrived.Task;
        public void Release() => released.TrySetResult();

        public async Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default)
        {
            arrived.TrySetResult();
            await released.Task.WaitAsync(token);
            await inner.SetAsync(key, value, options, token);
        }

        public Task<byte[]?> GetAsync(string key, CancellationToken token = default) => inner.GetAsync(key, token);
        public byte[]? Get(string key) => inner.Get(key);
        public void Set(string key, byte[] value, DistributedCacheEntryOptions options) => SetAsync(key, value, options).GetAwaiter().GetResult();
        public void Refresh(string key) => inner.Refresh(key);
        public Task RefreshAsync(string key, CancellationToken token = default) => inner.RefreshAsync(key, token);
        public void Remove(string key) => inner.Remove(key);
        public Task RemoveAsync(string key, CancellationToken token = default) => inner.RemoveAsync(key, token);
    }

    [Fact]
    public async Task With_cache_off_a_run_pays_for_every_call_again()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var items = Items(tag, 3);
        await fixture.Api.WaitForAsync((await fixture.Api.StartAsync(new { items, options = new { critiqueRevise = false, reviewSampleSize = 0 } })).RunId, "Completed");
        Assert.Equal(6, fixture.JudgeCallsFor(tag));

        var uncached = await fixture.Api.StartAsync(new { items, options = new { critiqueRevise = false, reviewSampleSize = 0, cache = false } });
        var done = await fixture.Api.WaitForAsync(uncached.RunId, "Completed");

        Assert.Equal(12, fixture.JudgeCallsFor(tag));
        Assert.Equal(6, done.GetProperty("progress").GetProperty("llm").GetProperty("calls").GetInt32());
        Assert.Equal(0, done.GetProperty("progress").GetProperty("llm").GetProperty("cacheHits").GetInt32());
    }

    [Fact]
    public async Task A_permanent_failure_is_called_once_and_a_rate_limit_is_ridden_out()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var run = await fixture.Api.StartAsync(new
        {
            items = new object[]
            {
                // The fake critic answers 400 for this item: no layer may ask again.
                new { id = "critic-down", prompt = $"{tag} {FakeJudgeResponder.NoCritiqueMarker}", response_a = "[[good]] a", response_b = "b" },
            },
            // The only item fails on purpose; the default maxFailedItemsRatio (0.1) would stop the run.
            options = new { reviewSampleSize = 0, maxFailedItemsRatio = 1.0 },
        });
        var done = await fixture.Api.WaitForAsync(run.RunId, "Completed");

        Assert.Equal(1, CritiqueCalls(tag));
        Assert.Equal(1, done.GetProperty("progress").GetProperty("failedItems").GetInt32());
        Assert.Contains("HTTP 400", done.GetProperty("progress").GetProperty("failedItems").ToString() + (await fixture.Api.ReportAsync(run.RunId))
            .GetProperty("pairs").GetProperty("firstFailure").GetString());
    }

    [Fact]
    public async Task Labels_never_reach_the_orchestration_so_its_history_does_not_grow_with_them()
    {
        async Task<SortedDictionary<string, int>> HistoryRowsAfterAsync(int reviewers, int relabels)
        {
            var tag = Guid.NewGuid().ToString("N")[..8];
            var run = await fixture.Api.StartAsync(new { items = Items(tag, 2), options = new { critiqueRevise = false, reviewSampleSize = 2, minReviewsPerItem = 100 } });
            await fixture.Api.WaitForAsync(run.RunId, "AwaitingReview");
            var items = await fixture.Api.ReviewItemsAsync(run);
            var accepted = 0;
            await Parallel.ForEachAsync(
                Enumerable.Range(0, reviewers).SelectMany(r => items.SelectMany(i => Enumerable.Range(0, relabels).Select(k => (r, i, k)))),
                new ParallelOptions { MaxDegreeOfParallelism = 8 },
                async (label, _) =>
                {
                    var response = await fixture.Api.ReviewAsync(run.RunId, run.ReviewToken,
                        new { itemId = label.i.ItemId, reviewer = $"r{label.r}", preference = label.k % 2 == 0 ? "first" : "tie" });
                    Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
                    Interlocked.Increment(ref accepted);
                });
            Assert.Equal(HttpStatusCode.Accepted, (await fixture.Api.CloseAsync(run.RunId, run.ReviewToken)).StatusCode);
            await fixture.Api.WaitForAsync(run.RunId, "Completed");
            var review = (await fixture.Api.ReportAsync(run.RunId)).GetProperty("review");
            Assert.Equal(reviewers * items.Length, review.GetProperty("votes").GetInt32());
            Assert.Equal(reviewers, review.GetProperty("reviewers").GetInt32());
            return await HistoryEventsAsync(run.RunId);
        }

        var few = await HistoryRowsAfterAsync(reviewers: 1, relabels: 1);
        var many = await HistoryRowsAfterAsync(reviewers: 40, relabels: 3);
        // The same events whatever the number of labels; one raised event, the close.
        Assert.Equal(few, many);
        Assert.Equal(1, many.GetValueOrDefault("EventRaised"));
    }

    [Fact]
    public async Task An_upload_refused_for_configuration_stays_refused_with_its_own_reason()
    {
        // A container only these hosts watch, so the shared host never sees the upload.
        const string container = "synthpref-refusal-test";
        var name = $"refused-{Guid.NewGuid():N}.jsonl";
        var watch = new Dictionary<string, string> { ["BlobTrigger__Container"] = container, ["BlobTrigger__PollSeconds"] = "0.3" };
        var badJudge = new Dictionary<string, string>(watch)
        {
            ["Llm__Provider"] = "Replay",
            ["Llm__ReplayFile"] = "/nonexistent/replay.jsonl",
        };
        string runId;
        await using (var refusing = fixture.CreateHost("refusing" + Guid.NewGuid().ToString("N")[..6], fixture.Llm.BaseUrl, badJudge))
        {
            await refusing.StartAsync();
            using var api = new SynthPrefApi(refusing.CreateClient());
            var upload = await fixture.Container(container).GetBlobClient(name).UploadAsync(BinaryData.FromString(
                """{"prompt":"p","response_a":"a","response_b":"b"}"""),
                new BlobUploadOptions { Metadata = new Dictionary<string, string> { ["critiqueRevise"] = "false", ["reviewSampleSize"] = "0" } });
            runId = await api.WaitForRunAsync(RunStarter.BlobRunId(container, name, upload.Value.ETag.ToString()));
            var refused = await api.StatusAsync(runId);
            Assert.Equal("Failed", refused.GetProperty("status").GetString());
            Assert.Contains("/nonexistent/replay.jsonl", refused.GetProperty("error").GetString());
        }

        // Restarted with a working judge, the watcher sees the same upload again: it stays refused, and the live
        // upload is never read.
        await using var working = fixture.CreateHost("working" + Guid.NewGuid().ToString("N")[..6], fixture.Llm.BaseUrl, watch);
        await working.StartAsync();
        using var workingApi = new SynthPrefApi(working.CreateClient());
        var marker = $"zz-marker-{Guid.NewGuid():N}.jsonl"; // listed after the refused upload
        var again = await fixture.Container(container).GetBlobClient(marker).UploadAsync(BinaryData.FromString(
            """{"prompt":"p","response_a":"a","response_b":"b"}"""),
            new BlobUploadOptions { Metadata = new Dictionary<string, string> { ["critiqueRevise"] = "false", ["reviewSampleSize"] = "0" } });
        // A later upload started means the watcher has been over the container, the refused one included.
        await workingApi.WaitForAsync(await workingApi.WaitForRunAsync(
            RunStarter.BlobRunId(container, marker, again.Value.ETag.ToString())), "Completed");
        var status = await workingApi.StatusAsync(runId);
        Assert.Equal("Failed", status.GetProperty("status").GetString());
        Assert.Contains("/nonexistent/replay.jsonl", status.GetProperty("error").GetString());
        Assert.Empty(await fixture.PairRowsAsync(runId));
        Assert.False(await fixture.Container("synthpref-runs").GetBlobClient($"{runId}/input.jsonl").ExistsAsync());

        // Uploading it again is a new version, and a new run, which starts.
        var reupload = await fixture.Container(container).GetBlobClient(name).UploadAsync(BinaryData.FromString(
            """{"prompt":"p","response_a":"a","response_b":"b"}"""),
            new BlobUploadOptions { Metadata = new Dictionary<string, string> { ["critiqueRevise"] = "false", ["reviewSampleSize"] = "0" } });
        var rerun = await workingApi.WaitForRunAsync(RunStarter.BlobRunId(container, name, reupload.Value.ETag.ToString()));
        Assert.NotEqual(runId, rerun);
        await workingApi.WaitForAsync(rerun, "Completed");
    }

    [Fact]
    public async Task Two_hosts_on_one_task_hub_share_one_runs_items_with_exact_counts()
    {
        var hub = "scale" + Guid.NewGuid().ToString("N")[..8];
        // Each host calls its own judge endpoint, so the split of the work is visible.
        var responder = FakeJudgeResponder.Create(JudgePrompt.TryExtract);
        await using var judgeA = await FakeOpenAiServer.StartAsync(async (r, ct) => { await Task.Delay(100, ct); return responder(r); });
        await using var judgeB = await FakeOpenAiServer.StartAsync(async (r, ct) => { await Task.Delay(100, ct); return responder(r); });
        // One item per activity, a window of eight, and at most two activities at a time per host: the run's work
        // cannot fit on one host, so both must take some.
        var settings = new Dictionary<string, string>
        {
            ["DurableTask__PartitionCount"] = "2",
            ["DurableTask__MaxConcurrentActivities"] = "2",
            ["BlobTrigger__Enabled"] = "false",
            ["Llm__MaxConcurrency"] = "4",
            ["Judging__Window"] = "8",
            ["Judging__ItemsPerActivity"] = "1",
        };
        await using var hostA = fixture.CreateHost(hub, judgeA.BaseUrl, settings);
        await using var hostB = fixture.CreateHost(hub, judgeB.BaseUrl, settings);
        await Task.WhenAll(hostA.StartAsync(), hostB.StartAsync());
        using var api = new SynthPrefApi(hostA.CreateClient());
        // Partitions move between hosts until their leases settle, and a move mid-episode can deliver an activity twice
        // (harmless for pairs, which are upserts, but it would blur the call counts this test checks).
        await WaitForPartitionsSplitAsync(hub, hosts: 2);

        const int items = 60;
        var tag = Guid.NewGuid().ToString("N")[..8];
        var run = await api.StartAsync(new { items = Items(tag, items), options = new { critiqueRevise = false, reviewSampleSize = 0, cache = false } });
        var done = await api.WaitForAsync(run.RunId, "Completed");

        Assert.Equal(items, done.GetProperty("progress").GetProperty("pairsWritten").GetInt32());
        Assert.Equal(items, (await fixture.PairRowsAsync(run.RunId)).Count);
        Assert.Equal(2 * items, judgeA.Requests.Count + judgeB.Requests.Count);
        Assert.True(judgeA.Requests.Count > 0 && judgeB.Requests.Count > 0,
            $"both hosts should have judged items: {judgeA.Requests.Count} and {judgeB.Requests.Count}");
        // The other host answers for the run too.
        using var apiB = new SynthPrefApi(hostB.CreateClient());
        Assert.Equal("Completed", (await apiB.StatusAsync(run.RunId)).GetProperty("status").GetString());
    }

    async Task WaitForPartitionsSplitAsync(string hub, int hosts)
    {
        var until = DateTime.UtcNow.AddSeconds(90);
        while (DateTime.UtcNow < until)
        {
            var partitions = new List<TableEntity>();
            await foreach (var p in fixture.Table(hub + "Partitions").QueryAsync<TableEntity>())
                partitions.Add(p);
            var owners = partitions.Select(p => p.GetString("CurrentOwner")).ToList();
            if (owners.All(o => o is not null) && owners.Distinct().Count() == hosts
                && partitions.All(p => string.IsNullOrEmpty(p.GetString("NextOwner"))))
                return;
            await Task.Delay(250);
        }
        throw new TimeoutException($"The partitions of hub {hub} were never split between {hosts} hosts.");
    }

    int CritiqueCalls(string tag) => fixture.Llm.Requests.Count(r =>
        r.Messages.LastOrDefault(m => m.Role == "user")?.Text.StartsWith(CritiquePrompts.CritiqueMarker, StringComparison.Ordinal) == true
        && r.Messages.Any(m => m.Text.Contains(tag, StringComparison.Ordinal)));

    /// <summary>The run's history events by type. Episode markers are left out: how many episodes a run takes depends
    /// on how the backend happened to batch its messages.</summary>
    async Task<SortedDictionary<string, int>> HistoryEventsAsync(string runId)
    {
        var events = new SortedDictionary<string, int>(StringComparer.Ordinal);
        await foreach (var row in fixture.Table("e2eHistory").QueryAsync<TableEntity>(e => e.PartitionKey == runId, select: ["EventType"]))
        {
            var type = row.GetString("EventType") ?? "(sentinel)";
            if (type is "OrchestratorStarted" or "OrchestratorCompleted" or "(sentinel)") continue;
            events[type] = events.GetValueOrDefault(type) + 1;
        }
        return events;
    }
}
