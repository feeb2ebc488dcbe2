using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Azure.Storage.Queues;
using SynthPref.FakeLlm;
using SynthPref.Orchestration.Judging;
using SynthPref.Tests.Infrastructure;
using Xunit.Abstractions;

namespace SynthPref.Tests.EndToEnd;

/// <summary>
/// The faults, each through the real local host: a flaky judge and a judge outage, storage restarted mid-run, the
/// host killed in review, an activity longer than the visibility timeout, a crashed host's work resuming within a
/// minute, and many runs at once. Each uses a host of its own, so nothing here disturbs the shared one.
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class FaultToleranceTests(PipelineFixture fixture, ITestOutputHelper output)
{
    static readonly Func<FakeChatRequest, FakeReply> Judge = FakeJudgeResponder.Create(JudgePrompt.TryExtract);

    static object[] Items(string tag, int count) => Enumerable.Range(0, count).Select(i => (object)new
    {
        id = $"i{i}", prompt = $"{tag} prompt {i}", category = $"c{i % 4}",
        response_a = $"answer {i} " + new string('x', i % 7), response_b = $"[[good]] answer {i}",
    }).ToArray();

    static string KeyOf(FakeChatRequest request) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join("\u0001", request.Messages.Select(m => m.Role + ":" + m.Text)))))[..16];

    [Fact]
    public async Task Twenty_percent_injected_429_500_503_and_hangs_over_200_items_lose_nothing_and_Retry_After_is_honoured()
    {
        var attempts = new ConcurrentDictionary<string, int>();
        var seen = new ConcurrentQueue<(string Key, int Attempt, DateTime At, int Status)>();
        await using var judge = await FakeOpenAiServer.StartAsync(async (request, ct) =>
        {
            var key = KeyOf(request);
            var attempt = attempts.AddOrUpdate(key, 1, (_, n) => n + 1);
            // A fixed fifth of all calls fault, decided by the call and its attempt, so a run is repeatable.
            var roll = BitConverter.ToUInt32(SHA256.HashData(Encoding.UTF8.GetBytes($"{key}#{attempt}"))) % 100;
            var status = roll switch { < 5 => 429, < 10 => 500, < 15 => 503, < 20 => -1, _ => 200 };
            seen.Enqueue((key, attempt, DateTime.UtcNow, status));
            switch (status)
            {
                case 429:
                    return FakeReply.Error(429, "slow down", new Dictionary<string, string> { ["Retry-After"] = "1" });
                case 500 or 503:
                    return FakeReply.Error(status, "injected fault");
                case -1:
                    await Task.Delay(TimeSpan.FromSeconds(30), ct); // a hang: the client gives up first
                    return FakeReply.Error(504, "hung");
                default:
                    return Judge(request);
            }
        });
        await using var host = fixture.CreateHost("flaky" + Guid.NewGuid().ToString("N")[..6], judge.BaseUrl, new Dictionary<string, string>
        {
            ["BlobTrigger__Enabled"] = "false",
            ["Llm__TimeoutSeconds"] = "2",
        });
        await host.StartAsync();
        using var api = new SynthPrefApi(host.CreateClient());

        var run = await api.StartAsync(new { items = Items(Guid.NewGuid().ToString("N")[..8], 200), options = new { reviewSampleSize = 0 } });
        var done = await WaitAsync(api, run.RunId, "Completed", TimeSpan.FromMinutes(10));

        Assert.Equal(400, done.GetProperty("progress").GetProperty("pairsWritten").GetInt32());
        Assert.Equal(0, done.GetProperty("progress").GetProperty("failedItems").GetInt32());
        Assert.False(done.GetProperty("degraded").GetBoolean());
        Assert.Equal(400, (await fixture.PairRowsAsync(run.RunId)).Count);

        var calls = seen.ToList();
        var faults = calls.Count(c => c.Status != 200);
        output.WriteLine($"{calls.Count} calls, {faults} faults ({calls.Count(c => c.Status == 429)} 429, {calls.Count(c => c.Status == -1)} hangs)");
        Assert.InRange(faults, calls.Count / 10, calls.Count * 3 / 10);
        // Every call after a 429 came a second or more later, as its Retry-After asked.
        var byKey = calls.GroupBy(c => c.Key).ToDictionary(g => g.Key, g => g.OrderBy(c => c.Attempt).ToList());
        var retriesAfter429 = 0;
        foreach (var (_, tries) in byKey)
            for (var i = 0; i + 1 < tries.Count; i++)
                if (tries[i].Status == 429)
                {
                    retriesAfter429++;
                    var gap = tries[i + 1].At - tries[i].At;
                    Assert.True(gap >= TimeSpan.FromSeconds(0.95), $"a retry after 429 came {gap.TotalMilliseconds:0} ms later");
                }
        Assert.True(retriesAfter429 > 10, $"only {retriesAfter429} retries after a 429");
    }

    [Fact]
    public async Task A_30_second_judge_outage_is_ridden_out_with_the_default_retries()
    {
        var outageUntil = DateTime.MaxValue;
        await using var judge = await FakeOpenAiServer.StartAsync(request =>
        {
            if (outageUntil == DateTime.MaxValue) outageUntil = DateTime.UtcNow.AddSeconds(30); // begins with the first call
            return DateTime.UtcNow < outageUntil ? FakeReply.Error(503, "down for maintenance") : Judge(request);
        });
        await using var host = fixture.CreateHost("outage" + Guid.NewGuid().ToString("N")[..6], judge.BaseUrl, new Dictionary<string, string>
        {
            ["BlobTrigger__Enabled"] = "false",
        });
        await host.StartAsync();
        using var api = new SynthPrefApi(host.CreateClient());

        var run = await api.StartAsync(new { items = Items(Guid.NewGuid().ToString("N")[..8], 20), options = new { critiqueRevise = false, reviewSampleSize = 0 } });
        var done = await WaitAsync(api, run.RunId, "Completed", TimeSpan.FromMinutes(5));
        Assert.Equal(20, done.GetProperty("progress").GetProperty("pairsWritten").GetInt32());
        Assert.Equal(0, done.GetProperty("progress").GetProperty("failedItems").GetInt32());
        Assert.True(judge.Requests.Count(r => r.ReceivedAt < outageUntil) > 20, "the outage did not hit the run's calls");
    }

    [Fact]
    public async Task Storage_restarted_mid_run_with_its_data_on_disk_loses_nothing()
    {
        var location = Directory.CreateTempSubdirectory("synthpref-azurite-").FullName;
        var storage = new AzuriteFixture(location);
        await storage.InitializeAsync();
        try
        {
            await using var judge = await FakeOpenAiServer.StartAsync(async (r, ct) => { await Task.Delay(150, ct); return Judge(r); });
            await using var host = new LocalHostProcess(storage.ConnectionString, judge.BaseUrl, "restartstore", new Dictionary<string, string>
            {
                ["BlobTrigger__Enabled"] = "false",
                ["Llm__MaxConcurrency"] = "4",
            });
            await host.StartAsync();
            using var api = new SynthPrefApi(host.CreateClient());
            var run = await api.StartAsync(new { items = Items(Guid.NewGuid().ToString("N")[..8], 40), options = new { reviewSampleSize = 0 } });

            var until = DateTime.UtcNow.AddSeconds(90);
            while (judge.Requests.Count < 30 && DateTime.UtcNow < until) await Task.Delay(50);
            Assert.True(judge.Requests.Count < 150, "the run was over before storage went down");
            var down = Stopwatch.StartNew();
            await storage.StopAsync();
            // Down until the host has felt it (its readiness check finds storage unreachable), and then for the rest
            // of the fault's length, 5 s, about what a service restart takes.
            await Eventually.HoldsAsync(async () =>
            {
                using var health = await host.CreateClient().GetAsync("/api/health/ready");
                return JsonDocument.Parse(await health.Content.ReadAsStringAsync()).RootElement
                    .GetProperty("checks").GetProperty("storage").GetProperty("status").GetString() == "Unhealthy";
            }, TimeSpan.FromSeconds(30), "The host's readiness check finding storage down");
            // Not ready, but alive: live calls nothing, so no probe would restart the host for storage's outage.
            Assert.Equal(HttpStatusCode.OK, (await host.CreateClient().GetAsync("/api/health/live")).StatusCode);
            if (down.Elapsed < TimeSpan.FromSeconds(5)) await Task.Delay(TimeSpan.FromSeconds(5) - down.Elapsed);
            await storage.StartAsync();
            output.WriteLine($"storage was down for {down.Elapsed.TotalSeconds:0.0} s, after {judge.Requests.Count} judge calls");

            var done = await WaitAsync(api, run.RunId, "Completed", TimeSpan.FromMinutes(5));
            output.WriteLine(await api.Http.GetStringAsync($"/api/runs/{run.RunId}/failures"));
            Assert.Equal(80, done.GetProperty("progress").GetProperty("pairsWritten").GetInt32());
            Assert.Equal(0, done.GetProperty("progress").GetProperty("failedItems").GetInt32());
            var dataset = await api.DatasetAsync(run.RunId);
            Assert.Equal(80, dataset.Length);
            Assert.Equal(80, dataset.Select(d => (d.GetProperty("id").GetString(), d.GetProperty("source").GetString())).Distinct().Count());
        }
        finally
        {
            await storage.DisposeAsync();
            Directory.Delete(location, recursive: true);
        }
    }

    [Fact]
    public async Task A_host_killed_during_review_keeps_its_labels_and_the_run_completes()
    {
        var host = fixture.CreateHost("killreview" + Guid.NewGuid().ToString("N")[..6], fixture.Llm.BaseUrl, new Dictionary<string, string>
        {
            ["BlobTrigger__Enabled"] = "false",
        });
        await using var _ = host;
        await host.StartAsync();
        using var api = new SynthPrefApi(host.CreateClient());
        var run = await api.StartAsync(new { items = Items(Guid.NewGuid().ToString("N")[..8], 6), options = new { critiqueRevise = false, reviewSampleSize = 6, minReviewsPerItem = 2 } });
        await api.WaitForAsync(run.RunId, "AwaitingReview");
        var items = await api.ReviewItemsAsync(run);
        foreach (var item in items)
            Assert.Equal(HttpStatusCode.Accepted, (await api.ReviewAsync(run.RunId, run.ReviewToken, new { itemId = item.ItemId, reviewer = "ann", preference = "second" })).StatusCode);

        host.Kill();
        await host.StartAsync();

        Assert.Equal(6, (await api.StatusAsync(run.RunId)).GetProperty("progress").GetProperty("votes").GetInt32());
        foreach (var item in items)
            Assert.Equal(HttpStatusCode.Accepted, (await api.ReviewAsync(run.RunId, run.ReviewToken, new { itemId = item.ItemId, reviewer = "bob", preference = "tie" })).StatusCode);
        await WaitAsync(api, run.RunId, "Completed", TimeSpan.FromMinutes(2));
        var report = await api.ReportAsync(run.RunId);
        Assert.Equal("complete", report.GetProperty("review").GetProperty("endedBy").GetString());
        Assert.Equal(12, report.GetProperty("review").GetProperty("votes").GetInt32());
        Assert.Equal(2, report.GetProperty("review").GetProperty("reviewers").GetInt32());
        // ann said "second" on each, which is the [[good]] text exactly where the judge chose it.
        var overall = report.GetProperty("agreement").GetProperty("overall");
        Assert.Equal(items.Count(i => i.Second.Contains("[[good]]")), overall.GetProperty("agree").GetInt32());
    }

    [Fact]
    public async Task An_activity_longer_than_the_visibility_timeout_runs_once()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        await using var judge = await FakeOpenAiServer.StartAsync(async (r, ct) =>
        {
            await Task.Delay(TimeSpan.FromSeconds(15), ct);
            return Judge(r);
        });
        // Two hosts on one hub: a lock that lapsed would hand the activity's message to the idle one, which would run
        // it again while the first is still at it.
        var hub = "longactivity" + Guid.NewGuid().ToString("N")[..6];
        var settings = new Dictionary<string, string>
        {
            ["BlobTrigger__Enabled"] = "false",
            ["DurableTask__VisibilityTimeoutSeconds"] = "4",
        };
        await using var host = fixture.CreateHost(hub, judge.BaseUrl, settings);
        await using var idle = fixture.CreateHost(hub, judge.BaseUrl, settings);
        await Task.WhenAll(host.StartAsync(), idle.StartAsync());
        using var api = new SynthPrefApi(host.CreateClient());

        // One call of 15 s in one activity, with its lock lasting 4 s unless renewed; no cache, so a second run of the
        // activity would reach the judge again.
        var run = await api.StartAsync(new
        {
            items = new object[] { new { id = "slow", prompt = $"{tag} slow", response_a = "[[good]] a", response_b = "b" } },
            options = new { critiqueRevise = false, swapPositions = false, reviewSampleSize = 0, cache = false },
        });
        await WaitAsync(api, run.RunId, "Completed", TimeSpan.FromMinutes(2));
        // Nothing can run the activity again once its message has left the work-item queue: a lapsed lock would have
        // let the idle host take it, and the message stays (invisible) until that second run ends.
        var workItems = new QueueClient(fixture.StorageConnectionString, $"{hub.ToLowerInvariant()}-workitems");
        await Eventually.HoldsAsync(async () => (await workItems.GetPropertiesAsync()).Value.ApproximateMessagesCount == 0,
            TimeSpan.FromSeconds(60), "The work-item queue emptying");
        Assert.Equal(1, judge.Requests.Count(r => r.Messages.Any(m => m.Text.Contains(tag))));
        Assert.Single(await fixture.PairRowsAsync(run.RunId));
    }

    [Fact]
    public async Task A_crashed_hosts_work_resumes_within_a_minute_with_the_default_timeouts()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var received = new ConcurrentQueue<DateTime>();
        await using var judge = await FakeOpenAiServer.StartAsync(async (r, ct) =>
        {
            if (r.Messages.Any(m => m.Text.Contains(tag))) received.Enqueue(DateTime.UtcNow);
            await Task.Delay(TimeSpan.FromSeconds(10), ct);
            return Judge(r);
        });
        var host = fixture.CreateHost("crash" + Guid.NewGuid().ToString("N")[..6], judge.BaseUrl, new Dictionary<string, string>
        {
            ["BlobTrigger__Enabled"] = "false",
            // The shipped defaults, not the fixture's shorter test values.
            ["DurableTask__VisibilityTimeoutSeconds"] = "60",
            ["DurableTask__LeaseSeconds"] = "30",
        });
        await using var _ = host;
        await host.StartAsync();
        using var api = new SynthPrefApi(host.CreateClient());
        var run = await api.StartAsync(new
        {
            items = new object[] { new { id = "c", prompt = $"{tag} crash", response_a = "[[good]] a", response_b = "b" } },
            options = new { critiqueRevise = false, swapPositions = false, reviewSampleSize = 0, cache = false },
        });
        var until = DateTime.UtcNow.AddSeconds(60);
        while (received.IsEmpty && DateTime.UtcNow < until) await Task.Delay(50);
        Assert.False(received.IsEmpty, "the judge was never called");

        host.Kill();
        var killedAt = DateTime.UtcNow;
        await host.StartAsync();
        await WaitAsync(api, run.RunId, "Completed", TimeSpan.FromMinutes(3));

        var again = received.Skip(1).First();
        var waited = again - killedAt;
        output.WriteLine($"the crashed host's activity ran again {waited.TotalSeconds:0.0} s after the kill");
        Assert.True(waited < TimeSpan.FromSeconds(75), $"work resumed {waited.TotalSeconds:0} s after the crash");
        Assert.Single(await fixture.PairRowsAsync(run.RunId));
    }

    [Fact]
    public async Task Twenty_concurrent_runs_all_complete()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var watch = Stopwatch.StartNew();
        var runs = await Task.WhenAll(Enumerable.Range(0, 20).Select(r =>
            fixture.Api.StartAsync(new { items = Items($"{tag}-{r}", 4), options = new { critiqueRevise = r % 2 == 0, reviewSampleSize = 0 } })));
        var done = await Task.WhenAll(runs.Select(r => WaitAsync(fixture.Api, r.RunId, "Completed", TimeSpan.FromMinutes(5))));
        output.WriteLine($"20 runs in {watch.Elapsed.TotalSeconds:0.0} s");
        for (var r = 0; r < 20; r++)
        {
            Assert.Equal(r % 2 == 0 ? 8 : 4, done[r].GetProperty("progress").GetProperty("pairsWritten").GetInt32());
            Assert.Equal(0, done[r].GetProperty("progress").GetProperty("failedItems").GetInt32());
        }
    }

    static async Task<System.Text.Json.JsonElement> WaitAsync(SynthPrefApi api, string runId, string status, TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                var current = await api.StatusAsync(runId);
                var name = current.GetProperty("status").GetString();
                if (name == status) return current;
                if (name == "Failed") throw new InvalidOperationException($"Run {runId} failed: {current}");
            }
            catch (HttpRequestException) when (DateTime.UtcNow < until)
            {
                // The host or its storage may be restarting.
            }
            if (DateTime.UtcNow > until) throw new TimeoutException($"Run {runId} did not reach {status} in {timeout}.");
            await Task.Delay(250);
        }
    }
}
