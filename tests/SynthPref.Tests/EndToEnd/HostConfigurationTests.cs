using SynthPref.Tests.Infrastructure;

namespace SynthPref.Tests.EndToEnd;

[Collection(PipelineCollection.Name)]
public sealed class HostConfigurationTests(PipelineFixture fixture)
{
    [Fact]
    public async Task A_host_with_an_unusable_judge_refuses_to_start_and_names_the_setting()
    {
        await using var host = fixture.CreateHost("badconfig", fixture.Llm.BaseUrl, new Dictionary<string, string>
        {
            ["Llm__Provider"] = "Replay",
            ["Llm__ReplayFile"] = "/nonexistent/replay.jsonl",
            ["BlobTrigger__Enabled"] = "false",
        });
        var error = await Assert.ThrowsAsync<InvalidOperationException>(host.StartAsync);
        Assert.Contains("exited with 1", error.Message);
        Assert.Contains("Llm:ReplayFile", error.Message);
        Assert.Contains("/nonexistent/replay.jsonl", error.Message);
    }
}
