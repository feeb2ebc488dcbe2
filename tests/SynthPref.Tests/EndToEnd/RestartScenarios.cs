using SynthPref.FakeLlm;
using SynthPref.Orchestration.Judging;
using SynthPref.Orchestration.Storage;
using SynthPref.Tests.Infrastructure;

namespace SynthPref.Tests.EndToEnd;

/// <summary>A host killed with SIGKILL in the middle of a run and started again finishes it with exact counts, on both
/// hosts: under Functions the host and its worker die together, and the work resumes once the dead host's leases and
/// message locks run out.</summary>
public abstract class RestartScenarios(TestPipeline fixture)
{
    [Collection(PipelineCollection.Name)]
    public sealed class OnLocalHost(PipelineFixture fixture) : RestartScenarios(fixture);

    [Collection(FunctionsHostCollection.Name), Trait("Host", HostKinds.Functions)]
    public sealed class OnFunctionsHost : RestartScenarios
    {
        public OnFunctionsHost(FunctionsPipelineFixture fixture) : base(fixture) => FunctionsPipelineFixture.SkipUnlessAvailable();
    }

    [SkippableFact]
    public async Task A_host_killed_mid_run_resumes_on_restart_with_no_lost_or_duplicate_pairs()
    {
        const int items = 30;
        // A slow judge keeps the run in flight long enough to kill the host in the middle of it.
        var responder = FakeJudgeResponder.Create(JudgePrompt.TryExtract);
        await using var llm = await FakeOpenAiServer.StartAsync(async (request, ct) =>
        {
            await Task.Delay(150, ct);
            return responder(request);
        });
        var host = fixture.NewHost("restart" + Guid.NewGuid().ToString("N")[..8], new HostSettings(llm.BaseUrl,
            new Dictionary<string, string> { ["Llm__MaxConcurrency"] = "4" }));
        await using var _ = host;
        await host.StartAsync();
        using var api = new SynthPrefApi(host.CreateManagementClient());
        var cachedBefore = await CachedResponsesAsync();

        var run = await api.StartAsync(new
        {
            items = Enumerable.Range(0, items).Select(i => new
            {
                id = $"r{i}", prompt = $"restart prompt {i}", category = i % 2 == 0 ? "even" : "odd",
                response_a = $"answer {i} " + new string('x', i % 5), response_b = $"[[good]] answer {i}",
            }).ToArray(),
            options = new { reviewSampleSize = 0 },
        });

        // Kill once some, but far from all, of the 120 LLM calls (2 judge + 2 critique/revise per item) were made.
        var until = DateTime.UtcNow.AddSeconds(60);
        while (llm.Requests.Count < 20 && DateTime.UtcNow < until) await Task.Delay(50);
        Assert.InRange(llm.Requests.Count, 20, 100);
        host.Kill();
        // Once the host is dead no call can start, so what the judge is still answering is what was in flight.
        var inFlightAtKill = llm.InFlight;
        // Answers the judge sent that the host had not stored yet died with it; they are the only other calls that may be
        // paid again.
        var answeredNotStored = llm.Requests.Count - inFlightAtKill - (await CachedResponsesAsync() - cachedBefore);
        var rowsAtKill = (await fixture.PairRowsAsync(run.RunId)).Count;
        Assert.True(rowsAtKill < 2 * items, $"the run had already finished ({rowsAtKill} rows) before the kill");

        await host.StartAsync();
        var done = await api.WaitForAsync(run.RunId, "Completed");

        var rows = await fixture.PairRowsAsync(run.RunId);
        Assert.Equal(2 * items, rows.Count);
        var expectedKeys = Enumerable.Range(0, items)
            .SelectMany(i => new[] { $"{i:D7}-judge", $"{i:D7}-revision" }).Order(StringComparer.Ordinal);
        Assert.Equal(expectedKeys, rows.Select(r => r.RowKey).Order(StringComparer.Ordinal));

        var report = await api.ReportAsync(run.RunId);
        Assert.Equal(2 * items, report.GetProperty("pairs").GetProperty("total").GetInt32());
        var dataset = await api.DatasetAsync(run.RunId);
        Assert.Equal(2 * items, dataset.Length);
        Assert.Equal(2 * items, dataset.Select(d => (d.GetProperty("id").GetString(), d.GetProperty("source").GetString())).Distinct().Count());
        Assert.Equal(0, done.GetProperty("progress").GetProperty("failedItems").GetInt32());

        // Every call answered and stored before the kill was answered from the cache afterwards: only calls cut off by the
        // kill, in flight or not yet stored, were made again.
        var made = llm.Requests.Count;
        var needed = llm.Requests.Select(r => string.Join("\u0001", r.Messages.Select(m => $"{m.Role}:{m.Text}"))).Distinct().Count();
        Assert.Equal(4 * items, needed);
        Assert.True(made <= needed + inFlightAtKill + answeredNotStored,
            $"{made} calls made for {needed} needed, with {inFlightAtKill} in flight and {answeredNotStored} answered but not stored at the kill");
    }

    async Task<int> CachedResponsesAsync()
    {
        var rows = 0;
        await foreach (var _ in fixture.Table(StorageNames.LlmCacheTable).QueryAsync<Azure.Data.Tables.TableEntity>(select: ["RowKey"]))
            rows++;
        return rows;
    }
}
