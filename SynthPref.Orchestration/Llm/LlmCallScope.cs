using System.Collections.Concurrent;

namespace SynthPref.Orchestration.Llm;

/// <summary>What one role's LLM calls came to: requests asked for, calls that reached the provider (FailedCalls of them
/// failed), and the tokens those calls used. Batch answers are requests the run's own batches answered; their tokens
/// are in InputTokens and OutputTokens too, and are also counted apart (BatchInputTokens, BatchOutputTokens) because
/// they are priced apart. BatchFailed: requests a batch returned no answer for (each batch that failed one counts it).
/// Unanswered: requests refused without a call, because the run takes them only from the cache (see
/// <see cref="LlmCallScope.CacheOnlyRoles"/>). The rest of the requests the cache answered.</summary>
public sealed record LlmUsage(int Requests = 0, int Calls = 0, long InputTokens = 0, long OutputTokens = 0,
    int BatchAnswers = 0, long BatchInputTokens = 0, long BatchOutputTokens = 0, int BatchFailed = 0, int FailedCalls = 0, int Unanswered = 0)
{
    public int CacheHits => Math.Max(0, Requests - Calls - BatchAnswers - Unanswered);

    public LlmUsage Add(LlmUsage other) => new(
        Requests + other.Requests, Calls + other.Calls, InputTokens + other.InputTokens, OutputTokens + other.OutputTokens,
        BatchAnswers + other.BatchAnswers, BatchInputTokens + other.BatchInputTokens, BatchOutputTokens + other.BatchOutputTokens,
        BatchFailed + other.BatchFailed, FailedCalls + other.FailedCalls, Unanswered + other.Unanswered);

    /// <summary>Sums per-role tallies; roles stay apart, so a judge's tokens are never mixed with the reviser's.</summary>
    public static IReadOnlyDictionary<string, LlmUsage> Merge(IReadOnlyDictionary<string, LlmUsage>? a, IReadOnlyDictionary<string, LlmUsage>? b)
    {
        var merged = new SortedDictionary<string, LlmUsage>(StringComparer.Ordinal);
        foreach (var source in new[] { a, b })
            foreach (var (role, usage) in source ?? new Dictionary<string, LlmUsage>())
                merged[role] = merged.TryGetValue(role, out var sum) ? sum.Add(usage) : usage;
        return merged;
    }
}

/// <summary>
/// The LLM work one unit of a run does (an item, say): whether the response cache may be used, and a tally by role.
/// It flows with the async call, so the middleware of every client the unit uses reads it without the run being
/// threaded through the <c>IChatClient</c> interface.
/// </summary>
public sealed class LlmCallScope : IDisposable
{
    static readonly AsyncLocal<LlmCallScope?> Ambient = new();

    readonly LlmCallScope? outer;
    readonly ConcurrentDictionary<string, Counters> byRole = new(StringComparer.Ordinal);

    LlmCallScope(bool cacheEnabled, LlmCallScope? outer, IBatchCollector? collector = null, IReadOnlyCollection<string>? cacheOnlyRoles = null,
        string? cacheOnlyReason = null, bool defersCacheWrites = false, string? cachePass = null)
    {
        CacheEnabled = cacheEnabled;
        CachePass = cacheEnabled ? cachePass : null;
        DefersCacheWrites = cacheEnabled && defersCacheWrites;
        this.outer = outer;
        Collector = collector;
        CacheOnlyRoles = cacheOnlyRoles;
        CacheOnlyReason = cacheOnlyReason;
    }

    public static LlmCallScope? Current => Ambient.Value;

    public bool CacheEnabled { get; }

    /// <summary>Whether this unit's cache writes wait for it to flush them (<see cref="TableDistributedCache.FlushAsync"/>),
    /// so they go in a few transactions rather than one each.</summary>
    public bool DefersCacheWrites { get; }

    /// <summary>The pass of the run this unit belongs to (its judging, or one batch cycle's collecting), when it has one:
    /// the cache then lists a model's stored keys once per pass and takes an absence from that listing, and from what this
    /// process stored since, instead of reading each key (see <see cref="TableDistributedCache"/>).</summary>
    public string? CachePass { get; }

    /// <summary>The cache keys this unit wrote and has not flushed yet.</summary>
    internal ConcurrentQueue<string> DeferredCacheKeys { get; } = new();

    /// <summary>Set for a collecting pass: no call reaches a provider; every request the cache cannot answer is handed
    /// to the collector (when its role batches) and its step stops there (see <see cref="BatchChatClient"/>).</summary>
    public IBatchCollector? Collector { get; }

    /// <summary>Roles whose requests this unit takes from the cache only: a miss fails the step with
    /// <see cref="CacheOnlyReason"/> instead of calling the provider (a batch run whose fallback is <c>fail</c>, or one
    /// closed while its batches were pending).</summary>
    public IReadOnlyCollection<string>? CacheOnlyRoles { get; }
    public string? CacheOnlyReason { get; }

    /// <summary>Cache entries read ahead for this unit of work, each a read that may still be on its way: a key with a
    /// null value was absent when it was read.</summary>
    public ConcurrentDictionary<string, Task<CacheReadAhead>> Prefetched { get; } = new(StringComparer.Ordinal);

    public static LlmCallScope Begin(bool cacheEnabled, IReadOnlyCollection<string>? cacheOnlyRoles = null, string? cacheOnlyReason = null,
        bool deferCacheWrites = false, string? cachePass = null)
    {
        var scope = new LlmCallScope(cacheEnabled, Ambient.Value, cacheOnlyRoles: cacheOnlyRoles is { Count: > 0 } ? cacheOnlyRoles : null,
            cacheOnlyReason: cacheOnlyReason, defersCacheWrites: deferCacheWrites, cachePass: cachePass);
        Ambient.Value = scope;
        return scope;
    }

    /// <summary>A collecting pass (always with the cache: what it collects is exactly what the cache lacks).</summary>
    public static LlmCallScope BeginCollecting(IBatchCollector collector, string? cachePass = null)
    {
        ArgumentNullException.ThrowIfNull(collector);
        var scope = new LlmCallScope(cacheEnabled: true, Ambient.Value, collector, cachePass: cachePass);
        Ambient.Value = scope;
        return scope;
    }

    public IReadOnlyDictionary<string, LlmUsage> Snapshot() =>
        byRole.ToDictionary(kv => kv.Key, kv => kv.Value.ToUsage(), StringComparer.Ordinal);

    internal void CountRequest(string role) => Interlocked.Increment(ref byRole.GetOrAdd(role, _ => new Counters()).Requests);

    internal void CountCall(string role, long? inputTokens, long? outputTokens, bool failed = false)
    {
        var counters = byRole.GetOrAdd(role, _ => new Counters());
        Interlocked.Increment(ref counters.Calls);
        if (failed) Interlocked.Increment(ref counters.FailedCalls);
        Interlocked.Add(ref counters.InputTokens, inputTokens ?? 0);
        Interlocked.Add(ref counters.OutputTokens, outputTokens ?? 0);
    }

    internal void CountUnanswered(string role) => Interlocked.Increment(ref byRole.GetOrAdd(role, _ => new Counters()).Unanswered);

    public void Dispose() => Ambient.Value = outer;

    sealed class Counters
    {
        public int Requests;
        public int Calls;
        public long InputTokens;
        public long OutputTokens;
        public int FailedCalls;
        public int Unanswered;

        public LlmUsage ToUsage() => new(Volatile.Read(ref Requests), Volatile.Read(ref Calls),
            Interlocked.Read(ref InputTokens), Interlocked.Read(ref OutputTokens),
            FailedCalls: Volatile.Read(ref FailedCalls), Unanswered: Volatile.Read(ref Unanswered));
    }
}

/// <summary>One cache entry read ahead: its value (null: absent), and how many writes this process had stored before
/// the read, so an absence that a later write made stale is recognised.</summary>
public readonly record struct CacheReadAhead(byte[]? Value, long StoredBefore);
