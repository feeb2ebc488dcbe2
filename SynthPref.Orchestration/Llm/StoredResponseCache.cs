using Microsoft.Extensions.AI;
using Microsoft.Extensions.Caching.Distributed;

namespace SynthPref.Orchestration.Llm;

/// <summary>
/// Microsoft.Extensions.AI's distributed response cache, keyed as it keys (messages, options and the provider's
/// identity), with two additions: every key of one model starts with that model's partition, so the store can read
/// and write a model's entries together, and callers can compute a key ahead of the call to fetch it early.
/// </summary>
public sealed class StoredResponseCache : DistributedCachingChatClient
{
    readonly string partition;

    public StoredResponseCache(IChatClient inner, IDistributedCache storage, IReadOnlyList<string> identity) : base(inner, storage)
    {
        CacheKeyAdditionalValues = identity.ToArray();
        partition = "m" + Statistics.StableHash.Fnv1a(string.Join('\n', identity)).ToString("x8");
    }

    /// <summary>The key <see cref="GetResponseAsync"/> would use for this request.</summary>
    public string KeyFor(IEnumerable<ChatMessage> messages, ChatOptions? options) =>
        // The base class keys a non-streaming request with one extra value, false; so does this.
        GetCacheKey(messages, options, false);

    /// <summary>Stores an answer that came by another way than this client (a batch's output) under the key a request
    /// will be looked up by, exactly as a live answer is stored.</summary>
    public Task StoreAsync(string key, ChatResponse response, CancellationToken ct) => WriteCacheAsync(key, response, ct);

    protected override string GetCacheKey(IEnumerable<ChatMessage> messages, ChatOptions? options, params ReadOnlySpan<object?> additionalValues) =>
        $"{partition}/{base.GetCacheKey(messages, options, additionalValues)}";
}
