using System.Collections.Concurrent;
using Microsoft.Extensions.AI;

namespace SynthPref.Orchestration.Llm;

/// <summary>
/// Makes concurrent identical requests to one client one call: the first goes on to the cache and the provider, the
/// others wait for its answer, and count as cache hits (they are requests that reached no provider). The first's call
/// returns only once the cache holds its answer (stored, or held in this process until its lane flushes it), so a
/// request arriving while the answer is on its way to the cache waits too; one arriving after that finds it there
/// (<see cref="TableDistributedCache"/>). Without it, two
/// items with the same texts started together would both miss the response cache and both pay, so what a run pays
/// would depend on timing. Outermost in the pipeline, so followers take no concurrency slot and no cache read. A run
/// with the cache off (see <see cref="LlmCallScope"/>) asked to pay for every call, and is not coalesced.
/// </summary>
public sealed class CoalescingChatClient(IChatClient inner) : DelegatingChatClient(inner)
{
    readonly ConcurrentDictionary<string, Task<ChatResponse>> inFlight = new(StringComparer.Ordinal);

    public override async Task<ChatResponse> GetResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        if (LlmCallScope.Current?.CacheEnabled == false)
            return await base.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);

        var list = messages as IReadOnlyList<ChatMessage> ?? messages.ToList();
        // The same digest the response cache keys on, so "identical" means what it means to the cache.
        var key = AIJsonUtilities.HashDataToString([list, options], AIJsonUtilities.DefaultOptions);
        var mine = new TaskCompletionSource<ChatResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
        var leader = inFlight.GetOrAdd(key, mine.Task);
        if (leader != mine.Task)
            return await leader.WaitAsync(cancellationToken).ConfigureAwait(false);

        try
        {
            // The leader calls in its own async flow, so its role and its run's tally count the call.
            var response = await base.GetResponseAsync(list, options, cancellationToken).ConfigureAwait(false);
            mine.SetResult(response);
            return response;
        }
        catch (OperationCanceledException e)
        {
            mine.SetCanceled(e.CancellationToken);
            throw;
        }
        catch (Exception e)
        {
            mine.SetException(e);
            // Observed here: with no follower waiting, nobody else would.
            _ = mine.Task.Exception;
            throw;
        }
        finally
        {
            inFlight.TryRemove(new KeyValuePair<string, Task<ChatResponse>>(key, mine.Task));
        }
    }
}

public static class CoalescingChatClientBuilderExtensions
{
    /// <summary>Adds a <see cref="CoalescingChatClient"/>: concurrent identical requests become one call.</summary>
    public static ChatClientBuilder UseResponseCoalescing(this ChatClientBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Use(inner => new CoalescingChatClient(inner));
    }
}
