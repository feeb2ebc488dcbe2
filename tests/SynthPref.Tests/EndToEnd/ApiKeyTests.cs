using SynthPref.Tests.Infrastructure;

namespace SynthPref.Tests.EndToEnd;

/// <summary>The local host is open only on loopback unless it has an API key (which <see cref="ApiKeyScenarios"/>
/// checks on both hosts).</summary>
[Collection(PipelineCollection.Name)]
public sealed class ApiKeyTests(PipelineFixture fixture)
{
    [Fact]
    public async Task Without_a_key_the_host_refuses_to_listen_beyond_loopback()
    {
        await using var host = new LocalHostProcess(fixture.StorageConnectionString, fixture.Llm.BaseUrl, "open" + Guid.NewGuid().ToString("N")[..6],
            new Dictionary<string, string> { ["BlobTrigger__Enabled"] = "false" })
        {
            ListenAddress = "0.0.0.0",
        };
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(host.StartAsync);
        Assert.Contains("exited", refused.Message);
        Assert.Contains("Api:Key", refused.Message);
        Assert.Contains("not a loopback address", refused.Message);
    }
}
