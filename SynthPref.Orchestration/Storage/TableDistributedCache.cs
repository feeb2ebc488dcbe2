using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Caching.Distributed;
using SynthPref.Orchestration.Llm;

namespace SynthPref.Orchestration.Storage;

/// <summary>
/// An <see cref="IDistributedCache"/> in the run's own storage account (Table Storage), so a response paid for once
/// survives retries, replays, restarts and other hosts. Entries do not expire: a completed chat response stays
/// valid for the same request. Keys of the form "partition/digest" (<see cref="StoredResponseCache"/>) keep one
/// model's entries in one partition, which lets a unit of work read its entries ahead in one query
/// (<see cref="PrefetchAsync"/>) and write an item's entries in one transaction (<see cref="FlushAsync"/>). A run with
/// <c>cache: false</c> (see <see cref="LlmCallScope"/>) neither reads nor writes.
/// </summary>
public sealed class TableDistributedCache(StorageClients storage) : IDistributedCache
{
    // Binary properties hold at most 64 KiB; an entity at most 1 MiB. Larger values are not cached.
    const int ChunkBytes = 60 * 1024;
    const int MaxChunks = 15;
    // Row keys per query: the filter stays well under the URL length limit.
    const int KeysPerQuery = 20;

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
        if (Scope is { PendingWrites: { } pending } scope)
        {
            pending[key] = value;
            scope.Prefetched[key] = value;
            return;
        }
        await Table.UpsertEntityAsync(entity, TableUpdateMode.Replace, token).ConfigureAwait(false);
    }

    /// <summary>Writes the scope's held entries, a transaction per partition (of at most 100 entities and a few MB).</summary>
    public async Task FlushAsync(IReadOnlyDictionary<string, byte[]> writes, CancellationToken ct)
    {
        foreach (var partition in writes.Select(w => Entity(w.Key, w.Value)).OfType<TableEntity>().GroupBy(e => e.PartitionKey))
        {
            var batch = new List<TableTransactionAction>();
            long bytes = 0;
            foreach (var entity in partition)
            {
                var size = (entity.GetInt32("Chunks") ?? 1) * (long)ChunkBytes;
                if (batch.Count == 100 || (batch.Count > 0 && bytes + size > 3L * 1024 * 1024))
                {
                    await Table.SubmitTransactionAsync(batch, ct).ConfigureAwait(false);
                    batch = [];
                    bytes = 0;
                }
                batch.Add(new TableTransactionAction(TableTransactionActionType.UpsertReplace, entity));
                bytes += size;
            }
            if (batch.Count > 0) await Table.SubmitTransactionAsync(batch, ct).ConfigureAwait(false);
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
