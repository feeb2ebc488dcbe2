using System.Net;
using Azure.Data.Tables;
using SynthPref.FakeLlm;
using SynthPref.Orchestration.Api;
using SynthPref.Orchestration.Workflow;
using SynthPref.Tests.Infrastructure;

namespace SynthPref.Tests.EndToEnd;

/// <summary>
/// Orchestration versioning across an upgrade, on both hosts: a run started by a host stamping version 1.0 (the local
/// host's <c>DurableTask:OrchestrationVersion</c>; under Functions, host.json's <c>defaultVersion</c> overridden as a
/// deployment would) waits for review while that host is killed and replaced by one at the current version, which
/// finishes it with version 1.0's steps, while a run it starts itself takes the current ones.
/// </summary>
public abstract class VersioningScenarios(TestPipeline fixture)
{
    [Collection(PipelineCollection.Name)]
    public sealed class OnLocalHost(PipelineFixture fixture) : VersioningScenarios(fixture);

    [Collection(FunctionsHostCollection.Name), Trait("Host", HostKinds.Functions)]
    public sealed class OnFunctionsHost : VersioningScenarios
    {
        public OnFunctionsHost(FunctionsPipelineFixture fixture) : base(fixture) => FunctionsPipelineFixture.SkipUnlessAvailable();
    }

    [SkippableFact]
    public async Task A_run_parked_for_review_under_version_1_is_finished_by_a_host_restarted_at_the_current_version()
    {
        // Version 1 had no failed-items ratio: a run whose every critique fails still goes on to review, where a run of
        // the current version stops and fails. So which steps a run took shows which version it ran.
        var hub = "park" + Guid.NewGuid().ToString("N")[..8];
        var tag = Guid.NewGuid().ToString("N")[..8];
        var body = new
        {
            items = Enumerable.Range(0, 6).Select(i => new
            {
                id = $"p{i}", prompt = $"{tag} {FakeJudgeResponder.NoCritiqueMarker} {i}", response_a = "[[good]] a", response_b = $"b {i}",
            }).ToArray(),
            options = new { reviewSampleSize = 10, minReviewsPerItem = 1 },
        };

        StartRunResponse run;
        await using (var old = fixture.NewHost(hub, new HostSettings(fixture.Llm.BaseUrl, OrchestrationVersion: "1.0")))
        {
            await old.StartAsync();
            using var api = new SynthPrefApi(old.CreateManagementClient());
            run = await api.StartAsync(body);
            var parked = await api.WaitForAsync(run.RunId, "AwaitingReview");
            Assert.Equal(6, parked.GetProperty("progress").GetProperty("failedItems").GetInt32());
            Assert.Equal("1.0", await InstanceVersionAsync(hub, run.RunId));
            old.Kill();
        }

        await using var current = fixture.NewHost(hub, new HostSettings(fixture.Llm.BaseUrl));
        await current.StartAsync();
        using var upgraded = new SynthPrefApi(current.CreateManagementClient());
        using var reviewer = new SynthPrefApi(current.CreateClient());
        var items = await reviewer.ReviewItemsAsync(run);
        Assert.Equal(6, items.Length);
        foreach (var item in items)
            Assert.Equal(HttpStatusCode.Accepted, (await reviewer.ReviewAsync(run.RunId, run.ReviewToken,
                new { itemId = item.ItemId, reviewer = "ann", preference = item.First.Contains("[[good]]") ? "first" : "second" })).StatusCode);

        // The last label completes the review; the run replays its 1.0 history on the new code and reports.
        var done = await upgraded.WaitForAsync(run.RunId, "Completed");
        Assert.True(done.GetProperty("degraded").GetBoolean());
        var report = await upgraded.ReportAsync(run.RunId);
        Assert.Equal(6, report.GetProperty("review").GetProperty("votes").GetInt32());
        Assert.Equal(6, report.GetProperty("agreement").GetProperty("overall").GetProperty("agree").GetInt32());
        Assert.Equal(6, report.GetProperty("pairs").GetProperty("failedItems").GetInt32());
        Assert.Equal("complete", report.GetProperty("review").GetProperty("endedBy").GetString());
        Assert.Equal("1.0", await InstanceVersionAsync(hub, run.RunId));

        // The same input started on the upgraded host is a current-version run, which the failed-items ratio stops.
        var again = await upgraded.StartAsync(body);
        var failed = await upgraded.WaitForAsync(again.RunId, "Failed");
        Assert.Contains("maxFailedItemsRatio", failed.GetProperty("error").GetString());
        Assert.Equal(OrchestrationVersions.Current, await InstanceVersionAsync(hub, again.RunId));
    }

    /// <summary>The version the durable backend stamped the run's instance with, from the task hub's instance table.</summary>
    async Task<string?> InstanceVersionAsync(string hub, string runId)
    {
        await foreach (var row in fixture.Table(hub + "Instances").QueryAsync<TableEntity>(e => e.PartitionKey == runId))
            return row.GetString("Version");
        throw new InvalidOperationException($"No instance {runId} in task hub {hub}");
    }
}
