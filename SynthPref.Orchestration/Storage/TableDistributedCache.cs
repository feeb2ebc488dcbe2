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
/// valid for the same request. A run with <c>cache: false</c> (see <see cref="LlmCallScope"/>) neither reads nor writes.
/// </summary>
public sealed class TableDistributedCache(StorageClients storage) : IDistributedCache
{
    // Binary properties hold at most 64 KiB; an entity at most 1 MiB. Larger values are not cached.
    const int ChunkBytes = 60 * 1024;
    const int MaxChunks = 15;

    TableClient Table => storage.Table(StorageNames.LlmCacheTable);

    static bool Enabled => LlmCallScope.Current?.CacheEnabled ?? true;

    public byte[]? Get(string key) => GetAsync(key).GetAwaiter().GetResult();

    public async Task<byte[]?> GetAsync(string key, CancellationToken token = default)
    {
        if (!Enabled) return null;
        var (partition, row) = Keys(key);
        var entity = await Table.GetEntityIfExistsAsync<TableEntity>(partition, row, cancellationToken: token).ConfigureAwait(false);
        if (!entity.HasValue) return null;
        var count = entity.Value!.GetInt32("Chunks") ?? 0;
        using var value = new MemoryStream();
        for (var i = 0; i < count; i++)
        {
            var chunk = entity.Value.GetBinary($"V{i}");
            if (chunk is null) return null;
            value.Write(chunk);
        }
        return value.ToArray();
    }

    public void Set(string key, byte[] value, DistributedCacheEntryOptions options) => SetAsync(key, value, options).GetAwaiter().GetResult();

    public async Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default)
    {
        if (!Enabled) return;
        var chunks = (value.Length + ChunkBytes - 1) / ChunkBytes;
        if (chunks > MaxChunks) return;
        var (partition, row) = Keys(key);
        var entity = new TableEntity(partition, row) { ["Chunks"] = chunks };
        for (var i = 0; i < chunks; i++)
            entity[$"V{i}"] = value.AsSpan(i * ChunkBytes, Math.Min(ChunkBytes, value.Length - i * ChunkBytes)).ToArray();
        await Table.UpsertEntityAsync(entity, TableUpdateMode.Replace, token).ConfigureAwait(false);
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

    // The caller's key is a digest already, but of an unknown alphabet; hashing again makes it key-safe, and its
    // first two characters spread entries over 256 partitions.
    static (string Partition, string Row) Keys(string key)
    {
        var row = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
        return (row[..2], row);
    }
}
