using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace SynthPref.Orchestration.Llm;

/// <summary>Thrown when the replay provider is asked something it has no recording for.</summary>
public sealed class ReplayMissException(string message) : InvalidOperationException(message);

/// <summary>
/// Answers judge prompts from recorded verdicts, so a whole pipeline runs offline against a real judge's
/// recorded behaviour. It only knows judge prompts: anything else is a miss, never an invented answer.
/// </summary>
public sealed class ReplayChatClient : IChatClient
{
    public const string ModelId = "replay";
    const int QuoteLength = 80;

    readonly ReplayBook book;
    readonly JudgePromptReader reader;
    readonly JudgeAnswerWriter? writer;

    /// <param name="writer">Shapes each answer as the prompt asks (its verdict line); without one, answers are the bare
    /// verdict block.</param>
    public ReplayChatClient(ReplayBook book, JudgePromptReader reader, JudgeAnswerWriter? writer = null)
    {
        this.book = book ?? throw new ArgumentNullException(nameof(book));
        this.reader = reader ?? throw new ArgumentNullException(nameof(reader));
        this.writer = writer;
    }

    public Task<ChatResponse> GetResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        cancellationToken.ThrowIfCancellationRequested();

        var text = Answer(messages);
        var response = new ChatResponse(new ChatMessage(ChatRole.Assistant, text))
        {
            ModelId = ModelId,
            ResponseId = Guid.NewGuid().ToString("N"),
            CreatedAt = DateTimeOffset.UtcNow,
            FinishReason = ChatFinishReason.Stop,
        };
        return Task.FromResult(response);
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var response = await GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        foreach (var update in response.ToChatResponseUpdates())
            yield return update;
    }

    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null)
            return null;
        if (serviceType == typeof(ChatClientMetadata))
            return new ChatClientMetadata("replay", defaultModelId: ModelId);
        return serviceType.IsInstanceOfType(this) ? this : null;
    }

    public void Dispose()
    {
    }

    string Answer(IEnumerable<ChatMessage> messages)
    {
        var lastUser = messages.LastOrDefault(m => m.Role == ChatRole.User)?.Text
            ?? throw new ReplayMissException("Replay provider got no user message to answer");

        if (!reader(lastUser, out var query, out var a, out var b))
            throw new ReplayMissException($"Replay provider only answers judge prompts; this user message is not one: \"{Quote(lastUser)}\"");

        if (!book.TryFind(query, a, b, out var record, out var swapped))
            throw new ReplayMissException(
                $"No replay recording for response A \"{Quote(a)}\" and response B \"{Quote(b)}\" (query \"{Quote(query)}\"), in either order");

        // Garbage recordings are real unparseable judge outputs; replaying them verbatim (without the verdict line a
        // judge that followed the format would have written) keeps the parser honest.
        if (record.Verdict == ReplayVerdict.Garbage)
            return record.Reason ?? string.Empty;

        var preference = (record.Verdict, swapped) switch
        {
            (ReplayVerdict.Tie, _) => "TIE",
            (ReplayVerdict.Response1, false) or (ReplayVerdict.Response2, true) => "A",
            _ => "B",
        };

        // The recordings carry no confidence, so none is reported rather than one made up.
        return Shape(lastUser, $"PREFERENCE: {preference}\nREASONING: {record.Reason}");
    }

    string Shape(string userMessage, string block) => writer is null ? block : writer(userMessage, block);

    static string Quote(string text) =>
        text.Length <= QuoteLength ? text : string.Concat(text.AsSpan(0, QuoteLength), "…");
}
