using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace SynthPref.Orchestration.Llm;

/// <summary>Thrown when one LLM call, retries included, outlasts its budget.</summary>
public sealed class LlmBudgetExceededException(TimeSpan budget)
    : TimeoutException($"The LLM call did not complete within its budget of {budget.TotalSeconds:0} s, retries included.");

/// <summary>
/// Bounds one call's wall time, retries and back-off included, so the worst case of an item (a few sequential
/// calls) stays below the durable backend's visibility timeout. Sits under the concurrency limit: time spent
/// waiting for a slot is not the provider's fault and does not count.
/// </summary>
public sealed class CallBudgetChatClient(IChatClient inner, TimeSpan budget) : DelegatingChatClient(inner)
{
    public override async Task<ChatResponse> GetResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(budget);
        try
        {
            return await base.GetResponseAsync(messages, options, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new LlmBudgetExceededException(budget);
        }
    }

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(budget);
        await foreach (var update in base.GetStreamingResponseAsync(messages, options, timeout.Token).ConfigureAwait(false))
            yield return update;
    }
}

public static class CallBudgetChatClientBuilderExtensions
{
    /// <summary>Adds a <see cref="CallBudgetChatClient"/>: one call, retries included, ends after <paramref name="budget"/>.</summary>
    public static ChatClientBuilder UseCallBudget(this ChatClientBuilder builder, TimeSpan budget)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(budget, TimeSpan.Zero);
        return builder.Use(inner => new CallBudgetChatClient(inner, budget));
    }
}
