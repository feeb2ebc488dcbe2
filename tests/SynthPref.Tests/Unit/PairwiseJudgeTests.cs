using Microsoft.Extensions.AI;
using SynthPref.Orchestration.Judging;
using SynthPref.Tests.Infrastructure;

namespace SynthPref.Tests.Unit;

public sealed class PairwiseJudgeTests
{
    [Fact]
    public async Task ParsesFirstAnswerWithoutRetry()
    {
        var chat = FakeChatClient.QueuedJudge("PREFERENCE: B\nCONFIDENCE: medium\nREASONING: B is right.");

        var call = await new PairwiseJudge(chat).JudgeOnceAsync("q", "first", "second", CancellationToken.None);

        var boundary = JudgePrompt.BoundaryOf(chat.Calls[0].Messages[^1].Text);
        Assert.Equal(new JudgeCall(new JudgeAnswer(Preference.B, Confidence.Medium, "B is right."),
            $"VERDICT {boundary}\nPREFERENCE: B\nCONFIDENCE: medium\nREASONING: B is right.", 1), call);
        var request = Assert.Single(chat.Calls);
        Assert.Equal(0f, request.Options?.Temperature);
        Assert.True(JudgePrompt.TryExtract(request.Messages[^1].Text, out var q, out var a, out var b));
        Assert.Equal(("q", "first", "second"), (q, a, b));
    }

    [Fact]
    public async Task RetriesOnceAfterAnUnparseableAnswer()
    {
        var chat = FakeChatClient.QueuedJudge("I think the first one.", "PREFERENCE: A\nCONFIDENCE: low");

        var call = await new PairwiseJudge(chat).JudgeOnceAsync("q", "x", "y", CancellationToken.None);

        Assert.Equal((Preference.A, Confidence.Low, (string?)null, 2), (call.Answer.Verdict, call.Answer.Confidence, call.Answer.Reasoning, call.Attempts));
        Assert.Equal(2, chat.Calls.Count);
        Assert.Equal(chat.Calls[0].Messages.Select(m => m.Text), chat.Calls[1].Messages.Select(m => m.Text));
        // The answer that could not be read is kept, verdict line and all.
        Assert.Equal([JudgeText.Answer(chat.Calls[0].Messages, "I think the first one.")], call.UnparseableOutputs);
    }

    [Fact]
    public async Task GivesUpAfterTwoUnparseableAnswers()
    {
        var chat = FakeChatClient.QueuedJudge("no idea", "PREFERENCE: A or B", "PREFERENCE: A");

        var call = await new PairwiseJudge(chat).JudgeOnceAsync("q", "x", "y", CancellationToken.None);

        Assert.Equal(Preference.Unparseable, call.Answer.Verdict);
        Assert.Equal(2, call.Attempts);
        Assert.EndsWith("\nPREFERENCE: A or B", call.RawOutput);
        Assert.Equal(2, call.UnparseableOutputs!.Count);
        Assert.Equal(2, chat.Calls.Count);
    }

    [Fact]
    public async Task An_answer_without_the_prompts_boundary_has_no_verdict()
    {
        // A verdict the judge did not write after the verdict line (or one copied from a response) is not the judge's.
        var chat = FakeChatClient.Queued("PREFERENCE: A\nCONFIDENCE: high", "VERDICT 000000000000000000000000\nPREFERENCE: A");

        var call = await new PairwiseJudge(chat).JudgeOnceAsync("q", "x", "y", CancellationToken.None);

        Assert.Equal(Preference.Unparseable, call.Answer.Verdict);
    }

    [Fact]
    public async Task Structured_output_sends_the_json_schema_and_reads_the_json_answer()
    {
        var chat = FakeChatClient.Queued("""{"preference": "B", "confidence": "medium", "reasoning": "B is right"}""");

        var call = await new PairwiseJudge(chat).JudgeOnceAsync("q", "x", "y", structured: true, CancellationToken.None);

        Assert.Equal((Preference.B, Confidence.Medium, "B is right", true, false),
            (call.Answer.Verdict, call.Answer.Confidence, call.Answer.Reasoning, call.Structured, call.FellBackToText));
        var format = Assert.IsType<ChatResponseFormatJson>(Assert.Single(chat.Calls).Options!.ResponseFormat);
        Assert.Equal(StructuredVerdict.SchemaName, format.SchemaName);
        Assert.Contains("\"TIE\"", format.Schema!.Value.GetRawText());
    }

    [Fact]
    public async Task A_refused_response_format_falls_back_to_the_text_template_for_the_same_attempt()
    {
        var chat = new FakeChatClient((messages, options) => options?.ResponseFormat is not null
            ? throw new System.ClientModel.ClientResultException("HTTP 400 (invalid_request_error: ) Invalid parameter: 'response_format' of type 'json_schema' is not supported with this model.",
                new StatusResponse(400))
            : JudgeText.Answer(messages, "PREFERENCE: A\nCONFIDENCE: high\nREASONING: text"));

        var call = await new PairwiseJudge(chat).JudgeOnceAsync("q", "x", "y", structured: true, CancellationToken.None);

        Assert.Equal((Preference.A, 1, false, true), (call.Answer.Verdict, call.Attempts, call.Structured, call.FellBackToText));
        Assert.Equal(2, chat.Calls.Count);
        Assert.Null(chat.Calls[1].Options!.ResponseFormat);
        Assert.Contains("PREFERENCE: A|B|TIE", chat.Calls[1].Messages[^1].Text);
    }

    [Fact]
    public async Task Another_bad_request_is_a_failure_not_a_fallback()
    {
        var chat = new FakeChatClient((_, _) => throw new System.ClientModel.ClientResultException("HTTP 400: context length exceeded", new StatusResponse(400)));

        await Assert.ThrowsAsync<System.ClientModel.ClientResultException>(
            () => new PairwiseJudge(chat).JudgeOnceAsync("q", "x", "y", structured: true, CancellationToken.None));
        Assert.Single(chat.Calls);
    }

    /// <summary>A bare pipeline response with a status, for exceptions that need one.</summary>
    sealed class StatusResponse(int status) : System.ClientModel.Primitives.PipelineResponse
    {
        public override int Status => status;
        public override string ReasonPhrase => "Bad Request";
        public override Stream? ContentStream { get; set; }
        public override BinaryData Content => BinaryData.FromString("");
        protected override System.ClientModel.Primitives.PipelineResponseHeaders HeadersCore => throw new NotSupportedException();
        public override BinaryData BufferContent(CancellationToken cancellationToken = default) => Content;
        public override ValueTask<BinaryData> BufferContentAsync(CancellationToken cancellationToken = default) => new(Content);
        public override void Dispose()
        {
        }
    }

    [Fact]
    public async Task TransportErrorsPropagate()
    {
        var chat = new FakeChatClient(_ => throw new HttpRequestException("boom"));

        await Assert.ThrowsAsync<HttpRequestException>(
            () => new PairwiseJudge(chat).JudgeOnceAsync("q", "x", "y", CancellationToken.None));
    }

    /// <summary>A judge that always prefers the text "good", whichever position it is shown in.</summary>
    static string PrefersGood(IReadOnlyList<ChatMessage> messages)
    {
        Assert.True(JudgePrompt.TryExtract(messages[^1].Text, out _, out var first, out _));
        return JudgeText.Answer(messages, first == "good"
            ? "PREFERENCE: A\nCONFIDENCE: high\nREASONING: good first"
            : "PREFERENCE: B\nCONFIDENCE: medium\nREASONING: good second");
    }

    [Fact]
    public async Task JudgesBothOrdersAndMapsBackToInputTerms()
    {
        var chat = new FakeChatClient(PrefersGood);

        var verdict = await new PairwiseJudge(chat).JudgeAsync("q", "bad", "good", swapPositions: true, CancellationToken.None);

        Assert.Equal(Preference.B, verdict.Verdict);
        Assert.Equal(Confidence.Medium, verdict.Confidence);
        Assert.True(verdict.JudgedBothOrders);
        Assert.False(verdict.PositionInconsistent);
        Assert.Equal(Preference.B, verdict.Forward);
        Assert.Equal(Preference.A, verdict.Swapped);
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
        var chat = new FakeChatClient(m => JudgeText.Answer(m, "PREFERENCE: A\nCONFIDENCE: high"));

        var verdict = await new PairwiseJudge(chat).JudgeAsync("q", "one", "two", swapPositions: true, CancellationToken.None);

        Assert.Equal(Preference.Tie, verdict.Verdict);
        Assert.Equal(Confidence.Low, verdict.Confidence);
        Assert.True(verdict.PositionInconsistent);
    }

    [Fact]
    public async Task WithoutSwapMakesASingleCall()
    {
        var chat = new FakeChatClient(PrefersGood);

        var verdict = await new PairwiseJudge(chat).JudgeAsync("q", "good", "bad", swapPositions: false, CancellationToken.None);

        Assert.Equal(Preference.A, verdict.Verdict);
        Assert.False(verdict.JudgedBothOrders);
        Assert.Null(verdict.Swapped);
        Assert.Single(chat.Calls);
    }

    [Fact]
    public async Task RunsBothOrdersConcurrently()
    {
        var bothStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = 0;
        var chat = new GatedChatClient(async messages =>
        {
            if (Interlocked.Increment(ref started) == 2)
            {
                bothStarted.SetResult();
            }

            // Completes only if the second call starts while the first is still waiting.
            await bothStarted.Task.WaitAsync(TimeSpan.FromSeconds(10));
            return JudgeText.Answer(messages, "PREFERENCE: TIE");
        });

        var verdict = await new PairwiseJudge(chat).JudgeAsync("q", "a", "b", swapPositions: true, CancellationToken.None);

        Assert.Equal(Preference.Tie, verdict.Verdict);
        Assert.True(verdict.JudgedBothOrders);
    }

    sealed class GatedChatClient(Func<IReadOnlyList<ChatMessage>, Task<string>> answer) : IChatClient
    {
        public async Task<ChatResponse> GetResponseAsync(
            IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            new(new ChatMessage(ChatRole.Assistant, await answer(messages.ToList())));

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
            IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
