using Azure.Data.Tables;
using SynthPref.Orchestration.Storage;

namespace SynthPref.Orchestration.Reviews;

/// <summary>
/// Review state is storage-first: one Table partition per run (PartitionKey = run id) holds the phase row ("phase"),
/// one row per sampled item ("item-…"), one per (item, reviewer) label ("label-…") and one per sampling round
/// ("round-0001"). A label is written in one transaction with its item's row, conditional on that row's ETag, and
/// closing the phase marks every item row closed. So a label either commits while its item is open, and is counted, or
/// is refused; there is no third case. The orchestration is told only that the phase ended, never about each label, so
/// 10,000 labels leave its history as short as 10 do. These are the keys and helpers every kind of row shares.
/// </summary>
static class ReviewPartition
{
    public const string PhaseKey = "phase";
    public const string ItemPrefix = "item-";
    public const string LabelPrefix = "label-";
    public const string RoundPrefix = "round-";

    /// <summary>How often a conditional write is tried again after another writer changed its row first.</summary>
    public const int TransactionAttempts = 40;

    public static TableClient Table(StorageClients storage) => storage.Table(StorageNames.ReviewsTable);

    public static IAsyncEnumerable<TableEntity> QueryPrefixAsync(TableClient table, string runId, string prefix, CancellationToken ct) =>
        table.QueryAsync<TableEntity>(PrefixFilter(runId, prefix), cancellationToken: ct);

    // Prefix ranges: every key of a kind sorts between "prefix" and the prefix with its last character bumped.
    public static string PrefixFilter(string runId, string prefix) =>
        TableClient.CreateQueryFilter($"PartitionKey eq {runId} and RowKey ge {prefix} and RowKey lt {prefix[..^1] + (char)(prefix[^1] + 1)}");

    public static Task Backoff(int attempt, CancellationToken ct) =>
        Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(5, 20 + 10 * Math.Min(attempt, 10))), ct);
}
