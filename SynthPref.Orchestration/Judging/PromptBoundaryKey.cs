using System.Security.Cryptography;
using Azure;
using Azure.Data.Tables;
using SynthPref.Orchestration.Storage;

namespace SynthPref.Orchestration.Judging;

/// <summary>
/// The secret judge-prompt boundaries are derived from (<see cref="JudgePrompt.BoundaryFor"/>). It lives in the
/// storage account that holds the runs, in a Table row no blob reference can reach, created once by whichever host
/// needs it first; so every host, every retry and every rerun of one account derives the same boundary for the same
/// texts, and nobody who only writes input can.
/// </summary>
public sealed class PromptBoundaryKey
{
    const string Partition = "secret";
    const string Row = "judge-prompt-boundary";

    readonly Func<CancellationToken, Task<byte[]>> load;
    readonly SemaphoreSlim gate = new(1, 1);
    byte[]? key;

    PromptBoundaryKey(Func<CancellationToken, Task<byte[]>> load) => this.load = load;

    /// <summary>The account's key, from the runs table.</summary>
    public static PromptBoundaryKey InStorage(StorageClients storage) => new(ct => LoadOrCreateAsync(storage.Table(StorageNames.RunsTable), ct));

    /// <summary>A fixed key, for code that has no storage account (tests, the benchmark's plain loop).</summary>
    public static PromptBoundaryKey Fixed(byte[] key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return new(_ => Task.FromResult(key));
    }

    /// <summary>A random key for this process only: boundaries differ between processes, so nothing is cached across them.</summary>
    public static PromptBoundaryKey Ephemeral() => Fixed(RandomNumberGenerator.GetBytes(32));

    public async ValueTask<byte[]> GetAsync(CancellationToken ct)
    {
        if (Volatile.Read(ref key) is { } known) return known;
        await gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            // A failed load is not remembered: the next caller tries again.
            return key ??= await load(ct).ConfigureAwait(false);
        }
        finally
        {
            gate.Release();
        }
    }

    static async Task<byte[]> LoadOrCreateAsync(TableClient table, CancellationToken ct)
    {
        var existing = await table.GetEntityIfExistsAsync<TableEntity>(Partition, Row, cancellationToken: ct).ConfigureAwait(false);
        if (existing.HasValue && existing.Value!.GetBinary("Key") is { Length: 32 } stored) return stored;
        try
        {
            // Add, not upsert: two hosts racing to create it must end up with one key, the first one written.
            await table.AddEntityAsync(new TableEntity(Partition, Row) { ["Key"] = RandomNumberGenerator.GetBytes(32) }, ct).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
        }
        var created = await table.GetEntityAsync<TableEntity>(Partition, Row, cancellationToken: ct).ConfigureAwait(false);
        return created.Value.GetBinary("Key") ?? throw new InvalidOperationException("The judge-prompt key row has no key.");
    }
}
