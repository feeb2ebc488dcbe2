using Microsoft.Extensions.AI;
using SynthPref.Orchestration.Judging;
using SynthPref.Orchestration.Llm;
using SynthPref.Tests.Infrastructure;

namespace SynthPref.Tests.Unit;

public sealed class ReplayChatClientTests
{
    const string Replay = """
        {"query": "Capital of France?", "response_1": "Paris.", "response_2": "Lyon.", "verdict": "1", "reason": "Paris is the capital."}
        {"query": "Say hi", "response_1": "hi", "response_2": "hello there", "verdict": "2", "reason": "Friendlier."}

        {"query": "Pick one", "response_1": "x", "response_2": "y", "verdict": "tie", "reason": "Same."}
        {"query": "Broken", "response_1": "p", "response_2": "q", "verdict": "garbage", "reason": ""}
        {"response_1": "no query a", "response_2": "no query b", "verdict": "Tie"}
        {"query": "Other prompt", "response_1": "Paris.", "response_2": "Lyon.", "verdict": "2", "reason": "Other prompt wanted Lyon."}
        """;

    static ReplayChatClient Client() =>
        new(ReplayBook.Parse(new StringReader(Replay), "test.jsonl"), JudgePrompt.TryExtract);

    static async Task<ChatResponse> Ask(IChatClient client, string query, string a, string b) =>
        await client.GetResponseAsync([new ChatMessage(ChatRole.System, "You are a judge."), new ChatMessage(ChatRole.User, JudgeText.Of(query, a, b))]);

    [Fact]
    public void Parse_skips_blank_lines_and_keeps_line_numbers()
    {
        var book = ReplayBook.Parse(new StringReader(Replay), "test.jsonl");
        Assert.Equal(6, book.Records.Count);
        Assert.Equal(4, book.Records[2].Line);
        Assert.Equal(ReplayVerdict.Tie, book.Records[4].Verdict);
        Assert.Null(book.Records[4].Query);
    }

    [Fact]
    public async Task Recorded_order_is_answered_as_recorded()
    {
        var response = await Ask(Client(), "Capital of France?", "Paris.", "Lyon.");
        Assert.Equal("PREFERENCE: A\nREASONING: Paris is the capital.", response.Text);
        Assert.Equal("replay", response.ModelId);
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
    }

    [Fact]
    public async Task Swapped_order_mirrors_the_verdict_so_the_recorded_judge_stays_consistent()
    {
        var client = Client();
        Assert.Equal("PREFERENCE: B\nREASONING: Paris is the capital.", (await Ask(client, "Capital of France?", "Lyon.", "Paris.")).Text);
        Assert.Equal("PREFERENCE: B\nREASONING: Friendlier.", (await Ask(client, "Say hi", "hi", "hello there")).Text);
        Assert.Equal("PREFERENCE: A\nREASONING: Friendlier.", (await Ask(client, "Say hi", "hello there", "hi")).Text);
        Assert.Equal("PREFERENCE: TIE\nREASONING: Same.", (await Ask(client, "Pick one", "y", "x")).Text);
    }

    [Fact]
    public async Task Query_disambiguates_identical_response_pairs()
    {
        var response = await Ask(Client(), "Other prompt", "Paris.", "Lyon.");
        Assert.Equal("PREFERENCE: B\nREASONING: Other prompt wanted Lyon.", response.Text);
    }

    [Fact]
    public async Task Unknown_query_falls_back_to_the_texts_alone()
    {
        var response = await Ask(Client(), "A reworded prompt", "no query b", "no query a");
        Assert.Equal("PREFERENCE: TIE\nREASONING: ", response.Text);
    }

    [Fact]
    public async Task Garbage_recordings_are_replayed_verbatim()
    {
        Assert.Equal("", (await Ask(Client(), "Broken", "p", "q")).Text);
        Assert.Equal("", (await Ask(Client(), "Broken", "q", "p")).Text);
    }

    [Fact]
    public async Task Missing_recording_names_the_texts_truncated()
    {
        var longText = new string('z', 200);
        var ex = await Assert.ThrowsAsync<ReplayMissException>(() => Ask(Client(), "Capital of France?", "Paris.", longText));
        Assert.IsAssignableFrom<InvalidOperationException>(ex);
        Assert.Contains("\"Paris.\"", ex.Message);
        Assert.Contains(new string('z', 80) + "…", ex.Message);
        Assert.DoesNotContain(new string('z', 81), ex.Message);
    }

    [Fact]
    public async Task Non_judge_prompts_are_a_miss_not_an_invented_answer()
    {
        var ex = await Assert.ThrowsAsync<ReplayMissException>(() =>
            Client().GetResponseAsync([new ChatMessage(ChatRole.User, "CRITIQUE REQUEST: find flaws")]));
        Assert.Contains("not one", ex.Message);
        Assert.Contains("CRITIQUE REQUEST: find flaws", ex.Message);
    }

    [Fact]
    public async Task Streaming_yields_the_same_single_answer()
    {
        var updates = new List<ChatResponseUpdate>();
        await foreach (var u in Client().GetStreamingResponseAsync([new ChatMessage(ChatRole.User, JudgeText.Of("Say hi", "hi", "hello there"))]))
            updates.Add(u);

        Assert.Equal("PREFERENCE: B\nREASONING: Friendlier.", updates.ToChatResponse().Text);
        Assert.All(updates, u => Assert.Equal("replay", u.ModelId));
    }

    [Theory]
    [InlineData("not json", "line 1: not valid JSON")]
    [InlineData("[1]", "line 1: expected a JSON object")]
    [InlineData("{\"response_1\": \"a\", \"verdict\": \"1\"}", "line 1: field 'response_2' is required")]
    [InlineData("{\"response_1\": \"a\", \"response_2\": true, \"verdict\": \"1\"}", "line 1: field 'response_2' must be a string")]
    [InlineData("{\"response_1\": \"a\", \"response_2\": \"b\", \"verdict\": \"A\"}", "line 1: field 'verdict' must be")]
    public void Bad_lines_are_reported_with_file_and_line(string line, string expected)
    {
        var ex = Assert.Throws<ReplayFormatException>(() => ReplayBook.Parse(new StringReader(line), "bad.jsonl"));
        Assert.StartsWith("Replay file 'bad.jsonl' ", ex.Message);
        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public void Error_line_number_counts_blank_lines()
    {
        var text = "{\"response_1\": \"a\", \"response_2\": \"b\", \"verdict\": \"1\"}\n\n{oops";
        var ex = Assert.Throws<ReplayFormatException>(() => ReplayBook.Parse(new StringReader(text), "bad.jsonl"));
        Assert.Contains("line 3", ex.Message);
    }

    [Fact]
    public async Task Factory_builds_a_replay_client_from_a_file_and_limits_it()
    {
        var path = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(path, Replay);
            using var client = ChatClientFactory.Create(new LlmOptions { ReplayFile = path, MaxConcurrency = 3 }, JudgePrompt.TryExtract);

            Assert.Equal(3, client.GetService<ConcurrencyLimitingChatClient>()?.MaxConcurrency);
            Assert.NotNull(client.GetService<ReplayChatClient>());
            var response = await Ask(client, "Capital of France?", "Lyon.", "Paris.");
            Assert.Equal("PREFERENCE: B\nREASONING: Paris is the capital.", response.Text);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Factory_stacks_the_middleware_in_the_documented_order()
    {
        var path = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(path, Replay);
            var cache = new Microsoft.Extensions.Caching.Distributed.MemoryDistributedCache(
                Microsoft.Extensions.Options.Options.Create(new Microsoft.Extensions.Caching.Memory.MemoryDistributedCacheOptions()));
            using var loggers = Microsoft.Extensions.Logging.LoggerFactory.Create(_ => { });
            using var client = ChatClientFactory.Create(new LlmOptions { ReplayFile = path, CallBudgetSeconds = 30 }, JudgePrompt.TryExtract, cache, loggers);

            // Outermost first, as ChatClientFactory.Create documents it; each layer added by its UseX extension.
            Assert.Equal(
                [typeof(CoalescingChatClient), typeof(StoredResponseCache), typeof(BatchChatClient), typeof(ConcurrencyLimitingChatClient),
                    typeof(CallBudgetChatClient), typeof(LoggingChatClient), typeof(OpenTelemetryChatClient),
                    typeof(ProviderCallCountingChatClient), typeof(ReplayChatClient)],
                Chain(client));
            var response = await Ask(client, "Capital of France?", "Lyon.", "Paris.");
            Assert.Equal("PREFERENCE: B\nREASONING: Paris is the capital.", response.Text);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>Each client of a pipeline, outermost first, through the protected InnerClient of each delegating one.</summary>
    static List<Type> Chain(IChatClient client)
    {
        var inner = typeof(DelegatingChatClient).GetProperty("InnerClient", System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic)!;
        var chain = new List<Type>();
        for (IChatClient? c = client; c is not null; c = c is DelegatingChatClient d ? (IChatClient?)inner.GetValue(d) : null)
            chain.Add(c.GetType());
        return chain;
    }
}
