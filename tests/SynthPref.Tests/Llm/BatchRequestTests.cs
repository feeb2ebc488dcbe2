using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using SynthPref.FakeLlm;
using SynthPref.Orchestration.Judging;
using SynthPref.Orchestration.Llm;

namespace SynthPref.Tests.Llm;

/// <summary>
/// The collecting pass against a real fake server: a request it keeps is the one a live call sends, byte for byte in
/// its body, keyed by the response cache's key, and nothing reaches the provider while it collects.
/// </summary>
public sealed class BatchRequestTests
{
    sealed class Collector : IBatchCollector
    {
        public List<BatchRequest> Requests { get; } = [];
        public bool Batches(string role) => role == LlmRoles.Judge;
        public void Add(BatchRequest request) { lock (Requests) Requests.Add(request); }
    }

    static IDistributedCache Cache() => new MemoryDistributedCache(Microsoft.Extensions.Options.Options.Create(new MemoryDistributedCacheOptions()));

    static readonly ChatMessage[] Messages =
    [
        new(ChatRole.System, "You are a careful judge."),
        new(ChatRole.User, "Which is better? A: yes. B: no."),
    ];

    static ChatOptions JudgeOptions() => new() { Temperature = 0, ResponseFormat = StructuredVerdict.Format };

    [Fact]
    public async Task A_collected_request_is_the_body_a_live_call_sends_under_the_cache_key_and_reaches_no_provider()
    {
        await using var server = await FakeOpenAiServer.StartAsync(_ => FakeReply.Answer("""{"preference":"A","confidence":"high","reasoning":"ok"}"""));
        var cache = Cache();
        using var client = ChatClientFactory.Create(new LlmOptions
        {
            Provider = LlmProvider.OpenAICompatible, Endpoint = server.BaseUrl.ToString(), Model = "judge-model", Batch = true,
        }, JudgePrompt.TryExtract, cache);
        var judge = client.ForRole(LlmRoles.Judge);

        var collector = new Collector();
        using (LlmCallScope.BeginCollecting(collector))
            await Assert.ThrowsAsync<BatchPendingException>(() => judge.GetResponseAsync(Messages, JudgeOptions()));
        Assert.Empty(server.Requests);

        var request = Assert.Single(collector.Requests);
        Assert.Equal(client.GetService<StoredResponseCache>()!.KeyFor(Messages, JudgeOptions()), request.CustomId);
        var line = JsonNode.Parse(request.Line)!.AsObject();
        Assert.Equal(["custom_id", "method", "url", "body"], line.Select(p => p.Key));
        Assert.Equal(request.CustomId, line["custom_id"]!.GetValue<string>());
        Assert.Equal("POST", line["method"]!.GetValue<string>());
        Assert.Equal("/v1/chat/completions", line["url"]!.GetValue<string>());

        // A reviser request is not the run's to batch: it stops too, and is not collected.
        using (LlmCallScope.BeginCollecting(collector))
            await Assert.ThrowsAsync<BatchPendingException>(() => client.ForRole(LlmRoles.Reviser).GetResponseAsync("Critique this."));
        Assert.Single(collector.Requests);

        await judge.GetResponseAsync(Messages, JudgeOptions());
        var live = Assert.Single(server.Requests);
        Assert.True(JsonNode.DeepEquals(live.Body, line["body"]), $"batch body {line["body"]}\nlive body {live.Body}");
    }

    [Fact]
    public async Task An_azure_batch_line_names_the_global_batch_deployment_and_the_v1_path()
    {
        await using var server = await FakeOpenAiServer.StartAsync(_ => FakeReply.Answer("PREFERENCE: A"));
        using var client = ChatClientFactory.Create(new LlmOptions
        {
            Provider = LlmProvider.AzureOpenAI, Endpoint = server.RootUrl.ToString(), Model = "judge-deployment", ApiKey = "key",
            Batch = true, BatchDeployment = "judge-batch",
        }, JudgePrompt.TryExtract, Cache());
        var judge = client.ForRole(LlmRoles.Judge);

        var collector = new Collector();
        using (LlmCallScope.BeginCollecting(collector))
            await Assert.ThrowsAsync<BatchPendingException>(() => judge.GetResponseAsync(Messages, JudgeOptions()));
        var line = JsonNode.Parse(Assert.Single(collector.Requests).Line)!.AsObject();
        Assert.Equal("/chat/completions", line["url"]!.GetValue<string>());
        Assert.Equal("judge-batch", line["body"]!["model"]!.GetValue<string>());

        await judge.GetResponseAsync(Messages, JudgeOptions());
        var live = Assert.Single(server.Requests).Body!.AsObject();
        Assert.Equal("/openai/deployments/judge-deployment/chat/completions", server.Requests[0].Path);
        // Apart from the deployment it names, the body is the live one.
        var body = line["body"]!.AsObject();
        body.Remove("model");
        live.Remove("model");
        Assert.True(JsonNode.DeepEquals(live, body), $"batch body {body}\nlive body {live}");
    }

    [Fact]
    public async Task A_role_taken_from_the_cache_only_is_refused_without_a_call_and_counted_unanswered()
    {
        await using var server = await FakeOpenAiServer.StartAsync(_ => FakeReply.Answer("fine"));
        using var client = ChatClientFactory.Create(new LlmOptions
        {
            Provider = LlmProvider.OpenAICompatible, Endpoint = server.BaseUrl.ToString(), Model = "judge-model",
        }, JudgePrompt.TryExtract, Cache());

        using var scope = LlmCallScope.Begin(cacheEnabled: true, [LlmRoles.Judge], "not answered by the batch");
        var refused = await Assert.ThrowsAsync<LlmNotAnsweredException>(() => client.ForRole(LlmRoles.Judge).GetResponseAsync("hello"));
        Assert.Equal("not answered by the batch", refused.Message);
        Assert.Equal("fine", (await client.ForRole(LlmRoles.Reviser).GetResponseAsync("hello")).Text);

        Assert.Single(server.Requests);
        var usage = scope.Snapshot();
        Assert.Equal(new LlmUsage(Requests: 1, Unanswered: 1), usage[LlmRoles.Judge]);
        Assert.Equal(0, usage[LlmRoles.Judge].CacheHits);
        Assert.Equal(1, usage[LlmRoles.Reviser].Calls);
    }
}

/// <summary>SynthPref's Files and Batches client (the OpenAI SDK's) against the fake's endpoints, for both providers.</summary>
public sealed class BatchApiTests
{
    [Theory]
    [InlineData(LlmProvider.OpenAICompatible)]
    [InlineData(LlmProvider.AzureOpenAI)]
    public async Task Upload_create_retrieve_find_and_download_round_trip(LlmProvider provider)
    {
        await using var server = await FakeOpenAiServer.StartAsync(request => FakeReply.Answer($"answer to {request.LastUserText}"));
        var options = new LlmOptions
        {
            Provider = provider, Endpoint = provider == LlmProvider.AzureOpenAI ? server.RootUrl.ToString() : server.BaseUrl.ToString(),
            Model = "m", ApiKey = "key", Batch = true, BatchDeployment = "m-batch",
        };
        var api = new SynthPref.Orchestration.Batch.BatchApi(options, BatchTarget.For(options, "Llm")!);
        var url = api.Target.Url;
        var lines = string.Join("\n", new[] { "one", "two" }.Select(t => new JsonObject
        {
            ["custom_id"] = $"k-{t}", ["method"] = "POST", ["url"] = url,
            ["body"] = new JsonObject { ["model"] = "m-batch", ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = t }) },
        }.ToJsonString())) + "\n";

        var fileId = await api.UploadAsync(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(lines)), "in.jsonl", CancellationToken.None);
        Assert.Equal(fileId, await api.FindFileAsync("in.jsonl", CancellationToken.None));
        Assert.Null(await api.FindFileAsync("other.jsonl", CancellationToken.None));
        var created = await api.CreateAsync(fileId, new Dictionary<string, string> { ["synthpref_run"] = "r" }, CancellationToken.None);
        Assert.Equal("validating", created.Status);
        Assert.Equal(fileId, created.InputFileId);
        Assert.Equal(created.Id, (await api.FindBatchAsync(fileId, CancellationToken.None))?.Id);

        var info = created;
        for (var i = 0; i < 100 && !SynthPref.Orchestration.Batch.BatchInfo.IsTerminal(info.Status); i++)
        {
            await Task.Delay(20);
            info = await api.GetAsync(created.Id, CancellationToken.None);
        }
        Assert.Equal(("completed", 2, 2, 0), (info.Status, info.Total, info.Completed, info.Failed));
        using var reader = new StreamReader(await api.OpenFileAsync(info.OutputFileId!, CancellationToken.None));
        // An output file's lines are in no particular order (the provider, and the fake, answer side by side): by custom_id.
        var output = (await reader.ReadToEndAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!)
            .OrderBy(o => o["custom_id"]!.GetValue<string>(), StringComparer.Ordinal).ToList();
        Assert.Equal(["k-one", "k-two"], output.Select(o => o["custom_id"]!.GetValue<string>()));
        Assert.Equal("answer to two", output[1]["response"]!["body"]!["choices"]![0]!["message"]!["content"]!.GetValue<string>());
        Assert.Equal("m-batch", output[1]["response"]!["body"]!["model"]!.GetValue<string>());
        Assert.Empty(server.Requests);
    }
}
