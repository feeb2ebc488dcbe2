using Microsoft.Extensions.AI;

namespace SynthPref.Tests.Unit;

/// <summary>Test double: answers each call with a function of its messages and records every request.</summary>
sealed class FakeChatClient : IChatClient
{
    readonly Func<IReadOnlyList<ChatMessage>, ChatOptions?, string> respond;
    readonly List<RecordedCall> calls = [];

    public FakeChatClient(Func<IReadOnlyList<ChatMessage>, string> respond) => this.respond = (messages, _) => respond(messages);

    /// <summary>Answers from the messages and the options (a response format, say); may throw to fail the call.</summary>
    public FakeChatClient(Func<IReadOnlyList<ChatMessage>, ChatOptions?, string> respond) => this.respond = respond;

    /// <summary>A judge answering calls with the given verdict blocks in order, each after its prompt's verdict line.</summary>
    public static FakeChatClient QueuedJudge(params string[] blocks)
    {
        var queue = new Queue<string>(blocks);
        return new FakeChatClient(messages =>
        {
            lock (queue)
            {
                return queue.Count > 0
                    ? Infrastructure.JudgeText.Answer(messages, queue.Dequeue())
                    : throw new InvalidOperationException("No more queued answers.");
            }
        });
    }

    /// <summary>Answers calls with the given strings in order, failing the test if more calls arrive.</summary>
    public static FakeChatClient Queued(params string[] answers)
    {
        var queue = new Queue<string>(answers);
        return new FakeChatClient(_ =>
        {
            lock (queue)
            {
                return queue.Count > 0 ? queue.Dequeue() : throw new InvalidOperationException("No more queued answers.");
            }
        });
    }

    public IReadOnlyList<RecordedCall> Calls
    {
        get
        {
            lock (calls)
            {
                return calls.ToList();
            }
        }
    }

    public async Task<ChatResponse> GetResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var list = messages.ToList();
        lock (calls)
        {
            calls.Add(new RecordedCall(list, options));
        }

        // Yield so concurrent callers really interleave.
        await Task.Yield();
        cancellationToken.ThrowIfCancellationRequested();
        return new ChatResponse(new ChatMessage(ChatRole.Assistant, respond(list, options)));
    }

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException();

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }
}

sealed record RecordedCall(IReadOnlyList<ChatMessage> Messages, ChatOptions? Options);
