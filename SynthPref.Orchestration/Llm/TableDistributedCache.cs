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
/// model's entries in one partition, which lets a unit of work read its entries ahead in one query
/// (<see cref="PrefetchAsync"/>) and lets concurrent writes share a transaction: a write waits until it is stored
/// (so an answer handed back is never lost to a crash), but writes that arrive while one transaction is on its way
/// go together in the next (group commit). A run with <c>cache: false</c> (see <see cref="LlmCallScope"/>) neither
/// reads nor writes.
/// </summary>
public sealed class TableDistributedCache(StorageClients storage) : IDistributedCache
{
    // Binary properties hold at most 64 KiB; an entity at most 1 MiB. Larger values are not cached.
    const int ChunkBytes = 60 * 1024;
    const int MaxChunks = 15;
    // Row keys per query: the filter stays well under the URL length limit.
    const int KeysPerQuery = 20;

    readonly Dictionary<string, PartitionWriter> writers = new(StringComparer.Ordinal);

    TableClient Table => storage.Table(StorageNames.LlmCacheTable);

    static LlmCallScope? Scope => LlmCallScope.Current;

    static bool Enabled => Scope?.CacheEnabled ?? true;

    public byte[]? Get(string key) => GetAsync(key).GetAwaiter().GetResult();

    public async Task<byte[]?> GetAsync(string key, CancellationToken token = default)
    {
        if (!Enabled) return null;
        if (Scope?.Prefetched.TryGetValue(key, out var known) == true) return known;
        var (partition, row) = Keys(key);
        var entity = await Table.GetEntityIfExistsAsync<TableEntity>(partition, row, cancellationToken: token).ConfigureAwait(false);
        return entity.HasValue ? ValueOf(entity.Value!) : null;
    }

    /// <summary>Reads the entries for these keys into the current scope, one query per partition and few keys, so
    /// the calls that follow find them (or know they are absent) without a request each.</summary>
    public async Task PrefetchAsync(IEnumerable<string> keys, CancellationToken ct)
    {
        if (Scope is not { CacheEnabled: true } scope) return;
        foreach (var partition in keys.Distinct(StringComparer.Ordinal).Select(k => (Key: k, Parts: Keys(k))).GroupBy(k => k.Parts.Partition))
        {
            foreach (var chunk in partition.Chunk(KeysPerQuery))
            {
                var rows = string.Join(" or ", chunk.Select(k => $"RowKey eq '{k.Parts.Row}'"));
                var found = new Dictionary<string, byte[]?>(StringComparer.Ordinal);
                await foreach (var entity in Table.QueryAsync<TableEntity>($"PartitionKey eq '{partition.Key}' and ({rows})", cancellationToken: ct))
                    found[entity.RowKey] = ValueOf(entity);
                foreach (var (key, parts) in chunk)
                    scope.Prefetched[key] = found.GetValueOrDefault(parts.Row);
            }
        }
    }

    public void Set(string key, byte[] value, DistributedCacheEntryOptions options) => SetAsync(key, value, options).GetAwaiter().GetResult();

    public async Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default)
    {
        if (!Enabled || Entity(key, value) is not { } entity) return;
        PartitionWriter writer;
        lock (writers)
        {
            if (!writers.TryGetValue(entity.PartitionKey, out writer!))
                writers[entity.PartitionKey] = writer = new PartitionWriter(this);
        }
        await writer.WriteAsync(entity).ConfigureAwait(false);
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

        public Task WriteAsync(TableEntity entity)
        {
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            bool start;
            lock (queued)
            {
                queued.Add((entity, done));
                start = !writing;
                writing = true;
            }
            if (start) _ = Task.Run(DrainAsync);
            return done.Task;
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
                    foreach (var (_, done) in batch) done.TrySetResult();
                }
                catch (Exception e)
                {
                    foreach (var (_, done) in batch) done.TrySetException(e);
                }
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
