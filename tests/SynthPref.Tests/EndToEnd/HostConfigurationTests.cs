using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
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

        var health = await api.Http.GetFromJsonAsync<JsonElement>("/api/health");
        Assert.Contains("Llm:ReplayFile", health.GetProperty("llmProblems")[0].GetString());

        var response = await api.PostRunAsync(new { items = new object[] { new { prompt = "p", response_a = "a", response_b = "b" } } });
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains("/nonexistent/replay.jsonl", problem.GetProperty("detail").GetString());
        Assert.Contains("No usable judge", host.Log);
    }
}
