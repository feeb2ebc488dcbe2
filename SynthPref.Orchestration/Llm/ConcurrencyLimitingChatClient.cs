using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace SynthPref.Orchestration.Llm;

/// <summary>
/// Caps in-flight calls to the inner client. Provider rate limits are per deployment, so the cap lives on the
/// shared client rather than in each caller. A streaming call holds its slot until the stream is fully read or disposed.
/// </summary>
public sealed class ConcurrencyLimitingChatClient : DelegatingChatClient
{
    readonly SemaphoreSlim slots;

    public ConcurrencyLimitingChatClient(IChatClient innerClient, int maxConcurrency) : base(innerClient)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxConcurrency, 1);
        MaxConcurrency = maxConcurrency;
        slots = new SemaphoreSlim(maxConcurrency, maxConcurrency);
    }

    public int MaxConcurrency { get; }

    public override async Task<ChatResponse> GetResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        await slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await base.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            slots.Release();
        }
    }

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await foreach (var update in base.GetStreamingResponseAsync(messages, options, cancellationToken).ConfigureAwait(false))
                yield return update;
        }
        finally
        {
            slots.Release();
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            slots.Dispose();
        base.Dispose(disposing);
    }
}

public static class ConcurrencyLimitingChatClientBuilderExtensions
{
    /// <summary>Adds a <see cref="ConcurrencyLimitingChatClient"/>: at most <paramref name="maxConcurrency"/> calls at once.</summary>
    public static ChatClientBuilder UseConcurrencyLimit(this ChatClientBuilder builder, int maxConcurrency)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxConcurrency, 1);
        return builder.Use(inner => new ConcurrencyLimitingChatClient(inner, maxConcurrency));
    }
}
