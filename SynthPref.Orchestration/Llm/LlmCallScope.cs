using System.Collections.Concurrent;

namespace SynthPref.Orchestration.Llm;

/// <summary>What one role's LLM calls came to: requests asked for, calls that reached the provider, and the tokens
/// those calls used. Requests answered from the cache are <see cref="Requests"/> − <see cref="Calls"/>.</summary>
public sealed record LlmUsage(int Requests = 0, int Calls = 0, long InputTokens = 0, long OutputTokens = 0)
{
    public int CacheHits => Requests - Calls;

    public LlmUsage Add(LlmUsage other) => new(
        Requests + other.Requests, Calls + other.Calls, InputTokens + other.InputTokens, OutputTokens + other.OutputTokens);

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

    LlmCallScope(bool cacheEnabled, LlmCallScope? outer)
    {
        CacheEnabled = cacheEnabled;
        this.outer = outer;
    }

    public static LlmCallScope? Current => Ambient.Value;

    public bool CacheEnabled { get; }

    /// <summary>Cache entries read ahead for this unit of work: a key with a null value was absent when it was read.</summary>
    public ConcurrentDictionary<string, CacheReadAhead> Prefetched { get; } = new(StringComparer.Ordinal);

    public static LlmCallScope Begin(bool cacheEnabled)
    {
        var scope = new LlmCallScope(cacheEnabled, Ambient.Value);
        Ambient.Value = scope;
        return scope;
    }

    public IReadOnlyDictionary<string, LlmUsage> Snapshot() =>
        byRole.ToDictionary(kv => kv.Key, kv => kv.Value.ToUsage(), StringComparer.Ordinal);

    internal void CountRequest(string role) => Interlocked.Increment(ref byRole.GetOrAdd(role, _ => new Counters()).Requests);

    internal void CountCall(string role, long? inputTokens, long? outputTokens)
    {
        var counters = byRole.GetOrAdd(role, _ => new Counters());
        Interlocked.Increment(ref counters.Calls);
        Interlocked.Add(ref counters.InputTokens, inputTokens ?? 0);
        Interlocked.Add(ref counters.OutputTokens, outputTokens ?? 0);
    }

    public void Dispose() => Ambient.Value = outer;

    sealed class Counters
    {
        public int Requests;
        public int Calls;
        public long InputTokens;
        public long OutputTokens;

        public LlmUsage ToUsage() => new(Volatile.Read(ref Requests), Volatile.Read(ref Calls),
            Interlocked.Read(ref InputTokens), Interlocked.Read(ref OutputTokens));
    }
}

/// <summary>One cache entry read ahead: its value (null: absent), and how many writes this process had stored before
/// the read, so an absence that a later write made stale is recognised.</summary>
public readonly record struct CacheReadAhead(byte[]? Value, long StoredBefore);
