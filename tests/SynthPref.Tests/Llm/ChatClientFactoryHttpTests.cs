using System.ClientModel;
using System.Diagnostics;
using System.Net;
using System.Text;
using Microsoft.Extensions.AI;
using SynthPref.FakeLlm;
using SynthPref.Orchestration.Judging;
using SynthPref.Orchestration.Llm;
using SynthPref.Tests.Infrastructure;

namespace SynthPref.Tests.Llm;

public sealed class ChatClientFactoryHttpTests
{
    static IChatClient OpenAiCompatible(FakeOpenAiServer server, int maxConcurrency = 8, string model = "judge-model", int maxRetries = 2) =>
        ChatClientFactory.Create(
            new LlmOptions
            {
                Provider = LlmProvider.OpenAICompatible,
                Endpoint = server.BaseUrl.ToString(),
                Model = model,
                MaxConcurrency = maxConcurrency,
                TimeoutSeconds = 30,
                MaxRetries = maxRetries,
            },
            JudgePrompt.TryExtract);

    [Fact]
    public async Task OpenAI_compatible_client_posts_to_chat_completions_under_the_endpoint()
    {
        await using var server = await FakeOpenAiServer.StartAsync(_ => FakeReply.Answer("PREFERENCE: A\nCONFIDENCE: high\nREASONING: ok"));
        Assert.EndsWith("/v1", server.BaseUrl.ToString());
        using var client = OpenAiCompatible(server, model: "my-model");

        var response = await client.GetResponseAsync(
        [
            new ChatMessage(ChatRole.System, "You are a careful judge."),
            new ChatMessage(ChatRole.User, "Which is better?"),
        ]);

        Assert.Equal("PREFERENCE: A\nCONFIDENCE: high\nREASONING: ok", response.Text);
        Assert.Equal("my-model", response.ModelId);
        Assert.True(response.Usage?.TotalTokenCount > 0);

        var request = Assert.Single(server.Requests);
        Assert.Equal("/v1/chat/completions", request.Path);
        Assert.Equal("my-model", request.Model);
        Assert.Equal([new FakeMessage("system", "You are a careful judge."), new FakeMessage("user", "Which is better?")], request.Messages);
    }

    [Fact]
    public async Task Server_error_surfaces_as_an_exception_after_bounded_retries()
    {
        await using var server = await FakeOpenAiServer.StartAsync(_ => FakeReply.Error(500, "boom"));
        using var client = OpenAiCompatible(server);

        var watch = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<ClientResultException>(() => client.GetResponseAsync("hello"));

        Assert.Equal(500, ex.Status);
        Assert.Contains("boom", ex.Message);
        Assert.Equal(3, server.Requests.Count);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"took {watch.Elapsed}");
    }

    [Fact]
    public async Task Rate_limit_is_retried_and_then_succeeds()
    {
        var calls = 0;
        await using var server = await FakeOpenAiServer.StartAsync(_ =>
            Interlocked.Increment(ref calls) == 1 ? FakeReply.Error(429, "slow down") : FakeReply.Answer("fine"));
        using var client = OpenAiCompatible(server);

        var response = await client.GetResponseAsync("hello");

        Assert.Equal("fine", response.Text);
        Assert.Equal(2, server.Requests.Count);
    }

    [Fact]
    public async Task Concurrency_limit_caps_requests_in_flight_at_the_server()
    {
        var observed = await MaxInFlight(client => client.AsBuilder().UseConcurrencyLimit(2).Build(), viaFactoryLimit: 2);
        Assert.Equal(2, observed);
    }

    [Fact]
    public async Task Without_the_limit_the_same_load_exceeds_two_in_flight()
    {
        // Control for the test above: proves the scenario would expose a missing limiter.
        var observed = await MaxInFlight(client => client, viaFactoryLimit: 100);
        Assert.True(observed > 2, $"max in flight was {observed}");
    }

    [Fact]
    public async Task Concurrency_limit_holds_a_slot_for_the_whole_stream()
    {
        var inFlight = 0;
        var max = 0;
        await using var server = await FakeOpenAiServer.StartAsync(async (_, ct) =>
        {
            var now = Interlocked.Increment(ref inFlight);
            InterlockedMax(ref max, now);
            await Task.Delay(300, ct);
            Interlocked.Decrement(ref inFlight);
            return FakeReply.Answer("streamed answer");
        });
        using var client = OpenAiCompatible(server, maxConcurrency: 1);

        var texts = await Task.WhenAll(Enumerable.Range(0, 3).Select(async _ =>
        {
            var sb = new StringBuilder();
            await foreach (var update in client.GetStreamingResponseAsync("stream please"))
                sb.Append(update.Text);
            return sb.ToString();
        }));

        Assert.All(texts, t => Assert.Equal("streamed answer", t));
        Assert.Equal(3, server.Requests.Count(r => r.Stream));
        Assert.Equal(1, max);
    }

    [Fact]
    public async Task Fake_server_rejects_a_non_json_body()
    {
        await using var server = await FakeOpenAiServer.StartAsync(_ => FakeReply.Answer("unused"));
        using var http = new HttpClient();

        var response = await http.PostAsync(new Uri(server.BaseUrl + "/chat/completions"), new StringContent("not json", Encoding.UTF8, "text/plain"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("not valid JSON", await response.Content.ReadAsStringAsync());
        Assert.Empty(server.Requests);
    }

    [Fact]
    public async Task Fake_server_reads_array_content_parts()
    {
        await using var server = await FakeOpenAiServer.StartAsync(r => FakeReply.Answer("echo:" + r.LastUserText));
        using var http = new HttpClient();

        var body = """{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"one "},{"type":"text","text":"two"}]}]}""";
        var response = await http.PostAsync(new Uri(server.BaseUrl + "/chat/completions"), new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("\"content\":\"echo:one two\"", await response.Content.ReadAsStringAsync());
        Assert.Equal([new FakeMessage("user", "one two")], Assert.Single(server.Requests).Messages);
    }

    [Fact]
    public async Task Azure_client_with_key_posts_to_the_deployment_path()
    {
        await using var server = await FakeOpenAiServer.StartAsync(r => FakeReply.Answer("azure says hi"));
        using var client = ChatClientFactory.Create(
            new LlmOptions { Provider = LlmProvider.AzureOpenAI, Endpoint = server.RootUrl.ToString(), Model = "my-deployment", ApiKey = "k" },
            JudgePrompt.TryExtract);

        var response = await client.GetResponseAsync("hello");

        Assert.Equal("azure says hi", response.Text);
        var request = Assert.Single(server.Requests);
        Assert.Equal("/openai/deployments/my-deployment/chat/completions", request.Path);
    }

    [Fact]
    public async Task Fake_judge_rules_through_the_real_client()
    {
        await using var server = await FakeOpenAiServer.StartAsync(FakeJudgeResponder.Create(JudgePrompt.TryExtract));
        using var client = OpenAiCompatible(server);

        // Verdicts come after the prompt's own verdict line, which is checked and taken off here.
        async Task<string> Judge(string q, string a, string b)
        {
            var prompt = JudgeText.Of(q, a, b);
            var text = (await client.GetResponseAsync([new ChatMessage(ChatRole.User, prompt)])).Text;
            var line = $"VERDICT {JudgePrompt.BoundaryOf(prompt)}\n";
            if (text == FakeJudgeResponder.GarbageText) return text;
            Assert.StartsWith(line, text);
            return text[line.Length..];
        }

        Assert.Equal("PREFERENCE: A\nCONFIDENCE: high\nREASONING: fake judge rule longer", await Judge("q", "three words here", "two words"));
        Assert.Equal("PREFERENCE: B\nCONFIDENCE: high\nREASONING: fake judge rule longer", await Judge("q", "two words", "three words here"));
        Assert.Equal("PREFERENCE: TIE\nCONFIDENCE: high\nREASONING: fake judge rule equal-length", await Judge("q", "one two", "three four"));
        Assert.Equal("PREFERENCE: B\nCONFIDENCE: high\nREASONING: fake judge rule good-marker", await Judge("q", "a much longer answer here", "short [[good]]"));
        Assert.Equal("PREFERENCE: A\nCONFIDENCE: high\nREASONING: fake judge rule first-position", await Judge("q [[first]]", "x", "y y y"));
        Assert.Equal("PREFERENCE: A\nCONFIDENCE: high\nREASONING: fake judge rule first-position", await Judge("q [[first]]", "y y y", "x"));
        Assert.Equal("PREFERENCE: TIE\nCONFIDENCE: high\nREASONING: fake judge rule tie-marker", await Judge("q [[tie]]", "x", "y y y"));
        Assert.Equal(FakeJudgeResponder.GarbageText, await Judge("q [[garbage]]", "x", "y"));

        var critique = await client.GetResponseAsync(
        [
            new ChatMessage(ChatRole.User, "Write a haiku"),
            new ChatMessage(ChatRole.Assistant, "Original haiku text"),
            new ChatMessage(ChatRole.User, "CRITIQUE REQUEST: find problems"),
        ]);
        Assert.Equal(FakeJudgeResponder.CritiqueText, critique.Text);

        var revision = await client.GetResponseAsync(
        [
            new ChatMessage(ChatRole.User, "Write a haiku"),
            new ChatMessage(ChatRole.Assistant, "Original haiku text"),
            new ChatMessage(ChatRole.User, "CRITIQUE REQUEST: find problems"),
            new ChatMessage(ChatRole.Assistant, FakeJudgeResponder.CritiqueText),
            new ChatMessage(ChatRole.User, "REVISION REQUEST: fix them"),
        ]);
        Assert.Equal(FakeJudgeResponder.RevisionPrefix + "Original haiku text", revision.Text);

        var policy = await client.GetResponseAsync("Write a haiku");
        Assert.Equal(FakeJudgeResponder.PolicyPrefix + "Write a haiku", policy.Text);

        // A dialogue ending with its user's turn is the policy model asked to answer a conversation item.
        var dialogue = await client.GetResponseAsync(
            [new ChatMessage(ChatRole.User, "hi"), new ChatMessage(ChatRole.Assistant, "hello"), new ChatMessage(ChatRole.User, "just chatting")]);
        Assert.Equal(FakeJudgeResponder.PolicyPrefix + "just chatting", dialogue.Text);

        var notJudge = await Assert.ThrowsAsync<ClientResultException>(() => client.GetResponseAsync(
            [new ChatMessage(ChatRole.User, "hi"), new ChatMessage(ChatRole.Assistant, "hello"), new ChatMessage(ChatRole.User, "just chatting"),
                new ChatMessage(ChatRole.Assistant, "sure")]));
        Assert.Equal(400, notJudge.Status);
    }

    static async Task<int> MaxInFlight(Func<IChatClient, IChatClient> wrap, int viaFactoryLimit)
    {
        var inFlight = 0;
        var max = 0;
        await using var server = await FakeOpenAiServer.StartAsync(async (_, ct) =>
        {
            var now = Interlocked.Increment(ref inFlight);
            InterlockedMax(ref max, now);
            try
            {
                // Hold long enough that, without a limiter, all six parallel calls overlap.
                await Task.Delay(400, ct);
                return FakeReply.Answer("ok");
            }
            finally
            {
                Interlocked.Decrement(ref inFlight);
            }
        });
        using var client = wrap(OpenAiCompatible(server, maxConcurrency: viaFactoryLimit));

        var responses = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => client.GetResponseAsync($"call {i}")));

        Assert.All(responses, r => Assert.Equal("ok", r.Text));
        Assert.Equal(6, server.Requests.Count);
        return max;
    }

    static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while (value > (seen = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }
}
