using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Caching.Distributed;
using SynthPref.Orchestration.Storage;

namespace SynthPref.Orchestration.Llm;

/// <summary>
/// An <see cref="IDistributedCache"/> in the run's own storage account (Table Storage), so a response paid for once
/// survives retries, replays, restarts and other hosts. Entries do not expire: a completed chat response stays
/// valid for the same request. Keys of the form "partition/digest" (<see cref="StoredResponseCache"/>) keep one
/// model's entries in one partition, which lets concurrent writes share a transaction: a write waits until it is stored
/// (so an answer handed back is never lost to a crash), but writes that arrive while one transaction is on its way
/// go together in the next (group commit). A unit of work that defers its writes (a judging lane, see
/// <see cref="LlmCallScope.DefersCacheWrites"/>) has them held in this process, readable at once by every unit here,
/// until it flushes them before it stores what it made of them: a crash before the flush loses answers that nothing
/// stored refers to, and the retry pays for them again. A run with <c>cache: false</c> (see <see cref="LlmCallScope"/>)
/// neither reads nor writes.
/// </summary>
/// <remarks>
/// A unit of work reads its entries ahead (<see cref="PrefetchAsync"/>), while its calls begin, one point read each: a query
/// naming several row keys ("RowKey eq a or RowKey eq b") is a partition scan in Table Storage, and in Azurite a scan
/// of the whole table, so its cost grew with every entry the cache held.
/// A read-ahead is a snapshot: a lane reads its entries when it starts and makes its calls one item after another, so
/// an answer another lane stored meanwhile would be paid for again if the snapshot's "absent" were believed. So the
/// cache remembers which keys this process stored lately, in order, and an absence read before one of them was stored
/// is read again; a deferred write not flushed yet is found in the pending set before any of this. (An identical
/// request while the first is in flight never gets here: <see cref="CoalescingChatClient"/>, outside the cache, holds it
/// until the leader's answer is in the cache.)
/// A unit of a pass (<see cref="LlmCallScope.CachePass"/>: a run's judging, or one batch cycle's collecting) reads no
/// key the pass's listing shows absent. The first unit of a pass lists the partition's row keys (one query, pages of
/// 1,000), and this process adds every key it stores from then on, so on a fresh cache a run's reads cost one query
/// instead of one request per call. The listing is what the pass can know: an answer stored before the pass began is
/// found; one another process stores during the pass is paid for again. A partition too large to list (over
/// <see cref="MaxListedKeys"/>, counting this process's writes) is read key by key from then on.
/// </remarks>
public sealed class TableDistributedCache(StorageClients storage) : IDistributedCache
{
    // Binary properties hold at most 64 KiB; an entity at most 1 MiB. Larger values are not cached.
    const int ChunkBytes = 60 * 1024;
    const int MaxChunks = 15;
    // Point reads in flight for one read-ahead: enough to hide their latency, few enough to leave the connection pool
    // to the calls.
    const int ReadsInFlight = 8;

    readonly Dictionary<string, PartitionWriter> writers = new(StringComparer.Ordinal);
    // Deferred writes not flushed yet, by cache key. Removed once their flush ends: after a stored one is marked stored
    // (so a reader finds it here, or is told by the stored keys to read it again), and a failed one to be paid again.
    readonly ConcurrentDictionary<string, (byte[] Value, TableEntity Entity)> pending = new(StringComparer.Ordinal);
    readonly StoredKeys stored = new(capacity: 8192);
    // The listings of the (pass, partition)s used last, least recently used first (a run's judging uses one per model,
    // so a few runs at once fit); partitions too large to list.
    const int ListingsKept = 16;
    readonly List<((string Pass, string Partition) Key, KeyListing Listing)> listings = [];
    readonly HashSet<string> unlisted = new(StringComparer.Ordinal);

    TableClient Table => storage.Table(StorageNames.LlmCacheTable);

    /// <summary>The most row keys a pass's listing of one partition holds (about 20 bytes each); a partition with more
    /// is read key by key.</summary>
    public int MaxListedKeys { get; init; } = 50_000;

    static LlmCallScope? Scope => LlmCallScope.Current;

    static bool Enabled => Scope?.CacheEnabled ?? true;

    public byte[]? Get(string key) => GetAsync(key).GetAwaiter().GetResult();

    public async Task<byte[]?> GetAsync(string key, CancellationToken token = default)
    {
        if (!Enabled) return null;
        // Waited for first: a deferred write that arrives meanwhile is found in the pending set below.
        CacheReadAhead? known = Scope?.Prefetched.TryGetValue(key, out var read) == true ? await read.WaitAsync(token).ConfigureAwait(false) : null;
        if (pending.TryGetValue(key, out var held)) return held.Value;
        var (partition, row) = Keys(key);
        if (known is { } k && (k.Value is not null || !stored.StoredSince(partition, row, k.StoredBefore)))
            return k.Value;
        if (await ListedAbsentAsync(partition, row, token).ConfigureAwait(false)) return null;
        var entity = await Table.GetEntityIfExistsAsync<TableEntity>(partition, row, cancellationToken: token).ConfigureAwait(false);
        return entity.HasValue ? ValueOf(entity.Value!) : null;
    }

    /// <summary>
    /// Reads the entries for these keys into the current scope, in order and a few side by side, so the calls that
    /// follow find them (or know they are absent) without a read of their own. Every key's read is registered before
    /// the first one starts, and a call waits for its own key's read only: a lane's first item starts as soon as its
    /// keys are read, not when the whole lane's are. The task ends when every read has; it does not fault, since a
    /// failed read is the failure of the call that needs it (its task holds the exception).
    /// </summary>
    public Task PrefetchAsync(IEnumerable<string> keys, CancellationToken ct)
    {
        if (Scope is not { CacheEnabled: true } scope) return Task.CompletedTask;
        var reads = new List<(string Key, TaskCompletionSource<CacheReadAhead> Done)>();
        foreach (var key in keys)
        {
            var done = new TaskCompletionSource<CacheReadAhead>(TaskCreationOptions.RunContinuationsAsynchronously);
            if (scope.Prefetched.TryAdd(key, done.Task)) reads.Add((key, done));
        }
        var next = -1;
        async Task ReadInOrderAsync()
        {
            for (var i = Interlocked.Increment(ref next); i < reads.Count; i = Interlocked.Increment(ref next))
            {
                var (key, done) = reads[i];
                var (partition, row) = Keys(key);
                try
                {
                    // Counted before the read: a write stored while it runs may or may not be in its answer.
                    var storedBefore = stored.Count;
                    if (await ListedAbsentAsync(partition, row, ct).ConfigureAwait(false))
                    {
                        done.TrySetResult(new CacheReadAhead(null, storedBefore));
                        continue;
                    }
                    var entity = await Table.GetEntityIfExistsAsync<TableEntity>(partition, row, cancellationToken: ct).ConfigureAwait(false);
                    done.TrySetResult(new CacheReadAhead(entity.HasValue ? ValueOf(entity.Value!) : null, storedBefore));
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    done.TrySetCanceled(ct);
                }
                catch (Exception e)
                {
                    done.TrySetException(e);
                    // Observed here: a key whose call never comes (its item failed first) must not surface at finalization.
                    _ = done.Task.Exception;
                }
            }
        }
        return Task.WhenAll(Enumerable.Range(0, Math.Min(ReadsInFlight, reads.Count)).Select(_ => ReadInOrderAsync()));
    }

    public void Set(string key, byte[] value, DistributedCacheEntryOptions options) => SetAsync(key, value, options).GetAwaiter().GetResult();

    public async Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default)
    {
        if (!Enabled || Entity(key, value) is not { } entity) return;
        if (Scope is { DefersCacheWrites: true } scope)
        {
            pending[key] = (value, entity);
            scope.DeferredCacheKeys.Enqueue(key);
            return;
        }
        await WriterFor(entity.PartitionKey).WriteAllAsync([entity]).ConfigureAwait(false);
    }

    /// <summary>Stores the writes <paramref name="scope"/> deferred, one partition's together (transactions of up to 100).
    /// They leave this process's pending set whether or not the write succeeds: a failed one is paid for again.</summary>
    public async Task FlushAsync(LlmCallScope scope)
    {
        var keys = new List<string>();
        while (scope.DeferredCacheKeys.TryDequeue(out var key)) keys.Add(key);
        if (keys.Count == 0) return;
        var held = keys.Distinct(StringComparer.Ordinal)
            .Select(key => (Key: key, Found: pending.TryGetValue(key, out var entry), entry))
            .Where(e => e.Found).ToList();
        try
        {
            await Task.WhenAll(held.GroupBy(e => e.entry.Entity.PartitionKey, StringComparer.Ordinal)
                .Select(g => WriterFor(g.Key).WriteAllAsync(g.Select(e => e.entry.Entity).ToList()))).ConfigureAwait(false);
        }
        finally
        {
            foreach (var (key, _, entry) in held) pending.TryRemove(new KeyValuePair<string, (byte[], TableEntity)>(key, entry));
        }
    }

    /// <summary>Whether the current pass's listing shows this key absent: stored neither when the pass listed its
    /// partition nor by this process since. False when there is no listing to go by.</summary>
    async ValueTask<bool> ListedAbsentAsync(string partition, string row, CancellationToken ct)
    {
        if (Scope?.CachePass is not { } pass || ListingFor(pass, partition) is not { } listing) return false;
        return await listing.Ready.WaitAsync(ct).ConfigureAwait(false) && listing.Lacks(row);
    }

    KeyListing? ListingFor(string pass, string partition)
    {
        KeyListing listing;
        lock (listings)
        {
            if (unlisted.Contains(partition)) return null;
            var at = listings.FindIndex(l => l.Key == (pass, partition));
            if (at >= 0)
            {
                var used = listings[at];
                listings.RemoveAt(at);
                listings.Add(used);
                return used.Listing;
            }
            // Registered before its query starts, so a key stored meanwhile is in the query's answer or added here.
            listings.Add(((pass, partition), listing = new KeyListing(MaxListedKeys)));
            if (listings.Count > ListingsKept)
            {
                listings[0].Listing.Abandon();
                listings.RemoveAt(0);
            }
        }
        _ = ListAsync(partition, listing);
        return listing;
    }

    async Task ListAsync(string partition, KeyListing listing)
    {
        try
        {
            var rows = Table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {partition}"), maxPerPage: 1000,
                select: ["RowKey"]);
            await foreach (var entity in rows.ConfigureAwait(false))
                if (!listing.Add(entity.RowKey)) break;
            if (listing.TooLarge) Unlist(partition);
            listing.Complete(!listing.Abandoned);
        }
        catch (Exception)
        {
            // A listing is a saving, never a source of answers: without it the pass's units read key by key, and the
            // next unit to come lists again.
            lock (listings) listings.RemoveAll(l => l.Listing == listing);
            listing.Complete(false);
        }
    }

    void Unlist(string partition)
    {
        lock (listings)
        {
            unlisted.Add(partition);
            foreach (var (_, listing) in listings.Where(l => l.Key.Partition == partition)) listing.Abandon();
            listings.RemoveAll(l => l.Key.Partition == partition);
        }
    }

    /// <summary>Adds keys this process stored to the listings of their partition.</summary>
    void Listed(string partition, IEnumerable<string> rows)
    {
        List<KeyListing> open;
        lock (listings) open = listings.Where(l => l.Key.Partition == partition).Select(l => l.Listing).ToList();
        foreach (var listing in open)
            foreach (var row in rows)
                if (!listing.Add(row))
                {
                    if (listing.TooLarge) Unlist(partition);
                    break;
                }
    }

    PartitionWriter WriterFor(string partition)
    {
        lock (writers)
        {
            if (!writers.TryGetValue(partition, out var writer))
                writers[partition] = writer = new PartitionWriter(this);
            return writer;
        }
    }

    /// <summary>
    /// Group commit for one partition: the first write goes at once; writes arriving meanwhile wait, and go together
    /// when it returns, in transactions of at most 100 entities and a few MB. Under load many calls share a request;
    /// alone, a write costs no wait at all.
    /// </summary>
    sealed class PartitionWriter(TableDistributedCache owner)
    {
        const long MaxBatchBytes = 3L * 1024 * 1024;
        readonly List<(TableEntity Entity, TaskCompletionSource Done)> queued = [];
        bool writing;

        public Task WriteAllAsync(IReadOnlyList<TableEntity> entities)
        {
            var done = entities.Select(_ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).ToList();
            bool start;
            lock (queued)
            {
                for (var i = 0; i < entities.Count; i++) queued.Add((entities[i], done[i]));
                start = !writing;
                writing = true;
            }
            if (start) _ = Task.Run(DrainAsync);
            return Task.WhenAll(done.Select(d => d.Task));
        }

        async Task DrainAsync()
        {
            while (true)
            {
                List<(TableEntity Entity, TaskCompletionSource Done)> batch = [];
                lock (queued)
                {
                    long bytes = 0;
                    var take = 0;
                    for (; take < queued.Count && take < 100; take++)
                    {
                        var size = (queued[take].Entity.GetInt32("Chunks") ?? 1) * (long)ChunkBytes;
                        if (take > 0 && bytes + size > MaxBatchBytes) break;
                        bytes += size;
                    }
                    batch.AddRange(queued.Take(take));
                    queued.RemoveRange(0, take);
                    if (batch.Count == 0)
                    {
                        writing = false;
                        return;
                    }
                }
                try
                {
                    // Keys repeat when a retried call is written twice; a transaction must not name an entity twice.
                    var actions = batch.GroupBy(b => b.Entity.RowKey).Select(g => new TableTransactionAction(
                        TableTransactionActionType.UpsertReplace, g.Last().Entity)).ToList();
                    await owner.Table.SubmitTransactionAsync(actions).ConfigureAwait(false);
                    // Before anyone waiting is told: from here on the entry is readable, and known to be.
                    foreach (var (entity, _) in batch) owner.stored.Add(entity.PartitionKey, entity.RowKey);
                    foreach (var partition in batch.GroupBy(b => b.Entity.PartitionKey, StringComparer.Ordinal))
                        owner.Listed(partition.Key, partition.Select(b => b.Entity.RowKey));
                    foreach (var (_, done) in batch) done.TrySetResult();
                }
                catch (Exception e)
                {
                    foreach (var (_, done) in batch) done.TrySetException(e);
                }
            }
        }
    }

    /// <summary>
    /// The row keys of one partition: those its query listed and those this process stored since, each by its first 64
    /// bits (row keys are SHA-256 digests in hex), so a key counted absent is absent and one counted present costs a
    /// read. Abandoned (past <paramref name="maxKeys"/>, or dropped), it keeps none and counts every key present.
    /// </summary>
    sealed class KeyListing(int maxKeys)
    {
        readonly HashSet<ulong> keys = [];
        readonly TaskCompletionSource<bool> ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
        bool abandoned, tooLarge;

        /// <summary>Ends when the query has: true if the listing can be gone by.</summary>
        public Task<bool> Ready => ready.Task;

        public bool Abandoned
        {
            get { lock (keys) return abandoned; }
        }

        /// <summary>Whether it was abandoned for holding more than its keys' limit.</summary>
        public bool TooLarge
        {
            get { lock (keys) return tooLarge; }
        }

        public void Complete(bool usable) => ready.TrySetResult(usable);

        /// <summary>False once the listing is abandoned, for this key or before.</summary>
        public bool Add(string row)
        {
            lock (keys)
            {
                if (abandoned) return false;
                // A row key not of this class's making is no key a lookup asks for.
                if (Prefix(row) is not { } prefix) return true;
                keys.Add(prefix);
                if (keys.Count <= maxKeys) return true;
                tooLarge = true;
                Abandon();
                return false;
            }
        }

        /// <summary>From now on every key counts as present: a listing no longer told of this process's writes (dropped,
        /// or its partition too large) must not answer a unit that still holds it.</summary>
        public void Abandon()
        {
            lock (keys)
            {
                abandoned = true;
                keys.Clear();
                keys.TrimExcess();
            }
        }

        public bool Lacks(string row)
        {
            if (Prefix(row) is not { } prefix) return false;
            lock (keys) return !abandoned && !keys.Contains(prefix);
        }

        static ulong? Prefix(string row) =>
            row.Length >= 16 && ulong.TryParse(row.AsSpan(0, 16), NumberStyles.AllowHexSpecifier, null, out var prefix) ? prefix : null;
    }

    /// <summary>
    /// The keys this process stored, the last <c>capacity</c> of them in order, numbered from the start. Whether a key was
    /// stored after write number n is known while the oldest one kept is no newer than n + 1; beyond that the answer
    /// is "maybe", which costs one read.
    /// </summary>
    sealed class StoredKeys(int capacity)
    {
        readonly Queue<(string Key, long Number)> order = new();
        readonly Dictionary<string, long> last = new(StringComparer.Ordinal);
        long count;

        public long Count
        {
            get { lock (order) return count; }
        }

        public void Add(string partition, string row)
        {
            var key = partition + "/" + row;
            lock (order)
            {
                count++;
                order.Enqueue((key, count));
                last[key] = count;
                if (order.Count <= capacity) return;
                var (dropped, number) = order.Dequeue();
                if (last.TryGetValue(dropped, out var latest) && latest == number) last.Remove(dropped);
            }
        }

        /// <summary>Whether the key was (or may have been) stored after the first <paramref name="before"/> writes.</summary>
        public bool StoredSince(string partition, string row, long before)
        {
            lock (order)
            {
                if (count == before) return false;
                if (last.TryGetValue(partition + "/" + row, out var number)) return number > before;
                return order.Count > 0 && order.Peek().Number > before + 1;
            }
        }
    }

    public void Refresh(string key)
    {
    }

    public Task RefreshAsync(string key, CancellationToken token = default) => Task.CompletedTask;

    public void Remove(string key) => RemoveAsync(key).GetAwaiter().GetResult();

    public async Task RemoveAsync(string key, CancellationToken token = default)
    {
        var (partition, row) = Keys(key);
        try
        {
            await Table.DeleteEntityAsync(partition, row, cancellationToken: token).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
        }
    }

    static TableEntity? Entity(string key, byte[] value)
    {
        var chunks = (value.Length + ChunkBytes - 1) / ChunkBytes;
        if (chunks > MaxChunks) return null;
        var (partition, row) = Keys(key);
        var entity = new TableEntity(partition, row) { ["Chunks"] = chunks };
        for (var i = 0; i < chunks; i++)
            entity[$"V{i}"] = value.AsSpan(i * ChunkBytes, Math.Min(ChunkBytes, value.Length - i * ChunkBytes)).ToArray();
        return entity;
    }

    static byte[]? ValueOf(TableEntity entity)
    {
        var count = entity.GetInt32("Chunks") ?? 0;
        using var value = new MemoryStream();
        for (var i = 0; i < count; i++)
        {
            if (entity.GetBinary($"V{i}") is not { } chunk) return null;
            value.Write(chunk);
        }
        return value.ToArray();
    }

    // "partition/digest" keeps the partition; any other key gets one from its own digest. The digest is hashed again
    // because its alphabet is the caller's and row keys forbid some characters.
    static (string Partition, string Row) Keys(string key)
    {
        var slash = key.IndexOf('/');
        var row = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(slash < 0 ? key : key[(slash + 1)..])));
        return (slash > 0 && StorageKeys.IsSafe(key[..slash], 64) ? key[..slash] : row[..2], row);
    }
}
