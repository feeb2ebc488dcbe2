using System.Text.Json;
using SynthPref.Local.Durable;
using SynthPref.Orchestration.Llm;
using SynthPref.Tests.Infrastructure;

namespace SynthPref.Tests.Unit;

/// <summary>Both hosts start with the settings the benchmark measures, and with the same ones: what the bench used to set
/// for itself (queue polling at most 1 s, activity slots for every lane) is each host's default.</summary>
public sealed class HostDefaultsTests
{
    [Theory]
    [InlineData(8, 0, 12)]
    [InlineData(32, 0, 48)]
    [InlineData(1, 0, 2)]
    [InlineData(32, 10, 10)]
    public void Activity_slots_follow_the_widest_window_the_llm_concurrency_gives(int llmConcurrency, int window, int slots) =>
        Assert.Equal(slots, DurableBackendOptions.ActivitiesFor(llmConcurrency, window));

    [Fact]
    public void Functions_host_json_has_the_local_hosts_defaults()
    {
        using var hostJson = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepoPaths.Root, "host.json")),
            new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip });
        var durable = hostJson.RootElement.GetProperty("extensions").GetProperty("durableTask");
        Assert.Equal(TimeSpan.FromSeconds(DurableBackendOptions.DefaultMaxQueuePollingSeconds),
            TimeSpan.Parse(durable.GetProperty("storageProvider").GetProperty("maxQueuePollingInterval").GetString()!));
        Assert.Equal(1, new DurableBackendOptions().MaxQueuePollingSeconds);
        // host.json cannot read Llm:MaxConcurrency, so it holds the slots for its default (8); a deployment that changes
        // the concurrency sets maxConcurrentActivityFunctions beside it (infra/bicep does).
        Assert.Equal(DurableBackendOptions.ActivitiesFor(new LlmOptions().MaxConcurrency, 0), durable.GetProperty("maxConcurrentActivityFunctions").GetInt32());
    }

    [Fact]
    public void The_local_hosts_appsettings_keep_the_default_polling()
    {
        using var settings = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepoPaths.Root, "SynthPref.Local", "appsettings.json")));
        Assert.Equal(DurableBackendOptions.DefaultMaxQueuePollingSeconds,
            settings.RootElement.GetProperty("DurableTask").GetProperty("MaxQueuePollingSeconds").GetDouble());
    }
}
