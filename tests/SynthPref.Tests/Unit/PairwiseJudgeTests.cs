using Microsoft.Extensions.AI;
using SynthPref.Orchestration.Judging;
using SynthPref.Orchestration.Pairs;

namespace SynthPref.Tests.Unit;

public sealed class PairwiseJudgeTests
{
    [Fact]
    public async Task ParsesFirstAnswerWithoutRetry()
    {
        var chat = FakeChatClient.Queued("PREFERENCE: B\nCONFIDENCE: medium\nREASONING: B is right.");

        var call = await new PairwiseJudge(chat).JudgeOnceAsync("q", "first", "second", CancellationToken.None);

        Assert.Equal(new JudgeCall(Preference.B, Confidence.Medium, "B is right.", "PREFERENCE: B\nCONFIDENCE: medium\nREASONING: B is right.", 1), call);
        var request = Assert.Single(chat.Calls);
        Assert.Equal(0f, request.Options?.Temperature);
        Assert.True(JudgePrompt.TryExtract(request.Messages[^1].Text, out var q, out var a, out var b));
        Assert.Equal(("q", "first", "second"), (q, a, b));
    }

    [Fact]
    public async Task RetriesOnceAfterAnUnparseableAnswer()
    {
        var chat = FakeChatClient.Queued("I think the first one.", "PREFERENCE: A\nCONFIDENCE: low");

        var call = await new PairwiseJudge(chat).JudgeOnceAsync("q", "x", "y", CancellationToken.None);

        Assert.Equal(new JudgeCall(Preference.A, Confidence.Low, null, "PREFERENCE: A\nCONFIDENCE: low", 2), call);
        Assert.Equal(2, chat.Calls.Count);
        Assert.Equal(chat.Calls[0].Messages.Select(m => m.Text), chat.Calls[1].Messages.Select(m => m.Text));
    }

    [Fact]
    public async Task GivesUpAfterTwoUnparseableAnswers()
    {
        var chat = FakeChatClient.Queued("no idea", "PREFERENCE: A or B", "PREFERENCE: A");

        var call = await new PairwiseJudge(chat).JudgeOnceAsync("q", "x", "y", CancellationToken.None);

        Assert.Equal(new JudgeCall(Preference.Unparseable, null, null, "PREFERENCE: A or B", 2), call);
        Assert.Equal(2, chat.Calls.Count);
    }

    [Fact]
    public async Task TransportErrorsPropagate()
    {
        var chat = new FakeChatClient(_ => throw new HttpRequestException("boom"));

        await Assert.ThrowsAsync<HttpRequestException>(
            () => new PairwiseJudge(chat).JudgeOnceAsync("q", "x", "y", CancellationToken.None));
    }

    /// <summary>A judge that always prefers the text "good", whichever position it is shown in.</summary>
    private static string PrefersGood(IReadOnlyList<ChatMessage> messages)
    {
        Assert.True(JudgePrompt.TryExtract(messages[^1].Text, out _, out var first, out _));
        return first == "good" ? "PREFERENCE: A\nCONFIDENCE: high\nREASONING: good first" : "PREFERENCE: B\nCONFIDENCE: medium\nREASONING: good second";
    }

    [Fact]
    public async Task JudgesBothOrdersAndMapsBackToInputTerms()
    {
        var chat = new FakeChatClient(PrefersGood);

        var verdict = await new PairwiseJudge(chat).JudgeAsync("q", "bad", "good", swapPositions: true, CancellationToken.None);

        Assert.Equal(Preference.B, verdict.Preference);
        Assert.Equal(Confidence.Medium, verdict.Confidence);
        Assert.True(verdict.JudgedBothOrders);
        Assert.False(verdict.PositionInconsistent);
        Assert.Equal(Preference.B, verdict.Forward.Preference);
        Assert.Equal(Preference.A, verdict.Swapped?.Preference);
        Assert.Equal("good second", verdict.Reasoning);
        Assert.Equal(2, verdict.Calls);

        var shownFirst = chat.Calls.Select(c =>
        {
            JudgePrompt.TryExtract(c.Messages[^1].Text, out _, out var first, out _);
            return first;
        }).Order();
        Assert.Equal(["bad", "good"], shownFirst);
    }

    [Fact]
    public async Task PositionBiasedJudgeYieldsInconsistentTie()
    {
        var chat = new FakeChatClient(_ => "PREFERENCE: A\nCONFIDENCE: high");

        var verdict = await new PairwiseJudge(chat).JudgeAsync("q", "one", "two", swapPositions: true, CancellationToken.None);

        Assert.Equal(Preference.Tie, verdict.Preference);
        Assert.Equal(Confidence.Low, verdict.Confidence);
        Assert.True(verdict.PositionInconsistent);
    }

    [Fact]
    public async Task WithoutSwapMakesASingleCall()
    {
        var chat = new FakeChatClient(PrefersGood);

        var verdict = await new PairwiseJudge(chat).JudgeAsync("q", "good", "bad", swapPositions: false, CancellationToken.None);

        Assert.Equal(Preference.A, verdict.Preference);
        Assert.False(verdict.JudgedBothOrders);
        Assert.Null(verdict.Swapped);
        Assert.Single(chat.Calls);
    }

    [Fact]
    public async Task RunsBothOrdersConcurrently()
    {
        var bothStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = 0;
        var chat = new GatedChatClient(async () =>
        {
            if (Interlocked.Increment(ref started) == 2)
            {
                bothStarted.SetResult();
            }

            // Completes only if the second call starts while the first is still waiting.
            await bothStarted.Task.WaitAsync(TimeSpan.FromSeconds(10));
            return "PREFERENCE: TIE";
        });

        var verdict = await new PairwiseJudge(chat).JudgeAsync("q", "a", "b", swapPositions: true, CancellationToken.None);

        Assert.Equal(Preference.Tie, verdict.Preference);
        Assert.True(verdict.JudgedBothOrders);
    }

    private sealed class GatedChatClient(Func<Task<string>> answer) : IChatClient
    {
        public async Task<ChatResponse> GetResponseAsync(
            IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            new(new ChatMessage(ChatRole.Assistant, await answer()));

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
            IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
