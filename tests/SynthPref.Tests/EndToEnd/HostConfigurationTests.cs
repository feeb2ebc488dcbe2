using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using SynthPref.FakeLlm;
using SynthPref.Orchestration.Api;
using SynthPref.Orchestration.Health;
using SynthPref.Orchestration.Judging;
using SynthPref.Tests.Infrastructure;

namespace SynthPref.Tests.EndToEnd;

[Collection(PipelineCollection.Name)]
public sealed class HostConfigurationTests(PipelineFixture fixture)
{
    [Fact]
    public async Task Without_a_usable_judge_the_host_starts_but_refuses_runs_naming_the_setting()
    {
        await using var host = fixture.CreateHost("badconfig", fixture.Llm.BaseUrl, new Dictionary<string, string>
        {
            ["Llm__Provider"] = "Replay",
            ["Llm__ReplayFile"] = "/nonexistent/replay.jsonl",
            ["BlobTrigger__Enabled"] = "false",
        });
        await host.StartAsync();
        using var api = new SynthPrefApi(host.CreateClient());

        // Health says so too, with the same 503 the run request gets, while storage and the worker are fine.
        using var healthResponse = await api.Http.GetAsync("/api/health");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, healthResponse.StatusCode);
        var health = (await healthResponse.Content.ReadFromJsonAsync<HealthResponse>(SynthPrefApi.Json))!;
        Assert.Equal("Unhealthy", health.Status);
        Assert.Equal("Unhealthy", health.Checks[SynthPrefHealthChecks.Judge].Status);
        Assert.Contains("Llm:ReplayFile", Assert.Single(health.Checks[SynthPrefHealthChecks.Judge].Problems!));
        Assert.Equal("Healthy", health.Checks[SynthPrefHealthChecks.Storage].Status);
        Assert.Equal("Healthy", health.Checks[SynthPrefHealthChecks.Durable].Status);
        // Not ready, for the same reason; but alive, since restarting the process would not fix a setting.
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await api.Http.GetAsync("/api/health/ready")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await api.Http.GetAsync("/api/health/live")).StatusCode);

        var response = await api.PostRunAsync(new { items = new object[] { new { prompt = "p", response_a = "a", response_b = "b" } } });
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains("/nonexistent/replay.jsonl", problem.GetProperty("detail").GetString());
        Assert.Contains("No usable judge", host.Log);
    }

    [Fact]
    public async Task A_relative_replay_file_is_read_from_the_directory_the_host_was_started_in()
    {
        // Started elsewhere than beside its binaries (where it still finds its appsettings.json), as a user starts it.
        var work = Directory.CreateTempSubdirectory("synthpref-cwd-").FullName;
        try
        {
            var tag = Guid.NewGuid().ToString("N")[..8];
            Directory.CreateDirectory(Path.Combine(work, "recordings"));
            File.WriteAllText(Path.Combine(work, "recordings", "replay.jsonl"),
                $$"""{"query":"{{tag}} which?","response_1":"this one","response_2":"that one","verdict":"2","reason":"recorded"}""" + "\n");
            await using var host = new LocalHostProcess(fixture.StorageConnectionString, fixture.Llm.BaseUrl, "relative", new Dictionary<string, string>
            {
                ["Llm__Provider"] = "Replay",
                ["Llm__ReplayFile"] = "recordings/replay.jsonl",
                ["BlobTrigger__Enabled"] = "false",
            })
            { WorkingDirectory = work };
            await host.StartAsync();
            using var api = new SynthPrefApi(host.CreateClient());

            using var healthResponse = await api.Http.GetAsync("/api/health");
            Assert.Equal(HttpStatusCode.OK, healthResponse.StatusCode);
            var run = await api.StartAsync(new
            {
                items = new[] { new { id = "1", prompt = $"{tag} which?", response_a = "this one", response_b = "that one" } },
                options = new { critiqueRevise = false, reviewSampleSize = 0 },
            });
            await api.WaitForAsync(run.RunId, "Completed");
            var pairs = (await api.ReportAsync(run.RunId)).GetProperty("pairs");
            Assert.Equal(1, pairs.GetProperty("total").GetInt32());
            Assert.Equal(0, pairs.GetProperty("unparseable").GetInt32());
            // The recording prefers response_2: the replay judge answered from the file it was given.
            var row = Assert.Single(await api.DatasetAsync(run.RunId));
            Assert.Equal("that one", row.GetProperty("chosen").GetString());
            Assert.Equal("this one", row.GetProperty("rejected").GetString());
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    [Fact]
    public async Task A_configured_policy_model_writes_prompt_only_items_and_the_judge_only_judges()
    {
        await using var policy = await FakeOpenAiServer.StartAsync(FakeJudgeResponder.Create(JudgePrompt.TryExtract));
        await using var host = fixture.CreateHost("policy", fixture.Llm.BaseUrl, new Dictionary<string, string>
        {
            ["Policy__Provider"] = "OpenAICompatible",
            ["Policy__Endpoint"] = policy.BaseUrl.ToString(),
            ["Policy__Model"] = "fake-policy",
            ["BlobTrigger__Enabled"] = "false",
        });
        await host.StartAsync();
        using var api = new SynthPrefApi(host.CreateClient());
        var tag = Guid.NewGuid().ToString("N")[..8];

        var run = await api.StartAsync(new
        {
            items = new object[] { new { id = "gen", prompt = $"{tag} write a limerick" } },
            options = new { critiqueRevise = false, reviewSampleSize = 0 },
        });
        await api.WaitForAsync(run.RunId, "Completed");

        // Two samples from the policy server; the judge's server judges them (the fake policy writes the same text
        // twice, so both orders are one request, answered once).
        Assert.Equal(2, policy.Requests.Count(r => r.Messages.Any(m => m.Text.Contains(tag))));
        Assert.All(policy.Requests, r => Assert.Equal("fake-policy", r.Model));
        Assert.Equal(1, fixture.JudgeCallsFor(tag));
        Assert.Equal(0, fixture.Llm.Requests.Count(r => r.Messages.Count == 1 && r.Messages[0].Text.Contains(tag)));

        var row = Assert.Single(await fixture.PairRowsAsync(run.RunId));
        Assert.Equal("fake-policy#sample1", row.GetString("ModelA"));
        Assert.Equal(FakeJudgeResponder.PolicyPrefix + $"{tag} write a limerick", row.GetString("ResponseA"));
    }
}
