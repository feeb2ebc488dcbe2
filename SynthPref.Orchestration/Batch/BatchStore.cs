using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Data.Tables;
using SynthPref.Orchestration.Storage;

namespace SynthPref.Orchestration.Batch;

/// <summary>
/// One batch input file of a run and the provider's batch over it, as far as it has come. Written before each step
/// that creates something at the provider (the row, then the upload's file id, then the batch id), so a retried
/// activity reuses what exists instead of uploading or creating again.
/// </summary>
public sealed record BatchRecord(
    string RunId,
    string Key,
    int Cycle,
    string Section,
    string Role,
    string InputBlob,
    string FileName,
    int Requests,
    long Bytes,
    string? FileId = null,
    string? BatchId = null,
    string State = BatchRecord.Preparing,
    int Completed = 0,
    int Failed = 0,
    string? OutputFileId = null,
    string? ErrorFileId = null,
    string? Error = null,
    bool Ingested = false,
    int Answered = 0,
    int Unanswered = 0,
    long InputTokens = 0,
    long OutputTokens = 0)
{
    /// <summary>Before the provider has the batch: the file is being written or uploaded.</summary>
    public const string Preparing = "preparing";

    public bool IsTerminal => BatchInfo.IsTerminal(State);

    public BatchRecord With(BatchInfo info) => this with
    {
        State = info.Status,
        Completed = info.Completed,
        Failed = info.Failed,
        OutputFileId = info.OutputFileId ?? OutputFileId,
        ErrorFileId = info.ErrorFileId ?? ErrorFileId,
        Error = info.Error ?? Error,
    };
}

/// <summary>
/// Table <c>SynthPrefBatches</c>, one partition per run: a row per batch (<see cref="BatchRecord"/>) and a row per
/// request some batch of the run left unanswered, with the cycles it was left unanswered in, so a request is sent by
/// batch at most <see cref="MaxAttempts"/> times.
/// </summary>
public sealed class BatchStore(StorageClients storage)
{
    /// <summary>The first batch and one retry as a new batch; after that the request goes live, or fails.</summary>
    public const int MaxAttempts = 2;
    const string BatchPrefix = "b";
    const string FailurePrefix = "f";
    const int KeysPerQuery = 20;

    TableClient Table => storage.Table(StorageNames.BatchesTable);

    public static string KeyOf(int cycle, string group, int part) => $"{BatchPrefix}{cycle:D3}-{group}-{part:D3}";

    public async Task<BatchRecord?> GetAsync(string runId, string key, CancellationToken ct)
    {
        var row = await Table.GetEntityIfExistsAsync<TableEntity>(runId, key, cancellationToken: ct).ConfigureAwait(false);
        return row.HasValue ? Read(row.Value!) : null;
    }

    public async Task SaveAsync(BatchRecord record, CancellationToken ct) =>
        await Table.UpsertEntityAsync(Write(record), TableUpdateMode.Replace, ct).ConfigureAwait(false);

    /// <summary>The run's batches, of one cycle or (null) of every cycle, in cycle and file order.</summary>
    public async Task<IReadOnlyList<BatchRecord>> ListAsync(string runId, int? cycle, CancellationToken ct)
    {
        var from = cycle is { } c ? $"{BatchPrefix}{c:D3}-" : BatchPrefix;
        var to = cycle is { } d ? $"{BatchPrefix}{d:D3}." : "c";
        var rows = new List<BatchRecord>();
        await foreach (var e in Table.QueryAsync<TableEntity>(
                           $"PartitionKey eq '{runId}' and RowKey ge '{from}' and RowKey lt '{to}'", cancellationToken: ct).ConfigureAwait(false))
            rows.Add(Read(e));
        return rows.OrderBy(r => r.Key, StringComparer.Ordinal).ToList();
    }

    /// <summary>Records that these requests had no answer from cycle <paramref name="cycle"/>'s batch. A merge of one
    /// property per cycle, so a retried ingest writes the same row again and the count of cycles stays right.</summary>
    public async Task RecordUnansweredAsync(string runId, int cycle, IEnumerable<(string Key, string Error)> requests, CancellationToken ct)
    {
        foreach (var chunk in requests.DistinctBy(r => r.Key, StringComparer.Ordinal).Chunk(100))
            await Table.SubmitTransactionAsync(chunk.Select(r => new TableTransactionAction(TableTransactionActionType.UpsertMerge,
                new TableEntity(runId, FailureKey(r.Key))
                {
                    [$"C{cycle:D3}"] = true,
                    ["Error"] = r.Error.Length <= 2_000 ? r.Error : r.Error[..2_000] + "…",
                })), ct).ConfigureAwait(false);
    }

    /// <summary>How many batches of the run left each of these requests unanswered (absent: none).</summary>
    public async Task<IReadOnlyDictionary<string, int>> AttemptsAsync(string runId, IEnumerable<string> keys, CancellationToken ct)
    {
        var attempts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var chunk in keys.Distinct(StringComparer.Ordinal).Chunk(KeysPerQuery))
        {
            var byRow = chunk.ToDictionary(FailureKey, k => k, StringComparer.Ordinal);
            var filter = string.Join(" or ", byRow.Keys.Select(r => $"RowKey eq '{r}'"));
            await foreach (var e in Table.QueryAsync<TableEntity>($"PartitionKey eq '{runId}' and ({filter})", cancellationToken: ct).ConfigureAwait(false))
                attempts[byRow[e.RowKey]] = e.Keys.Count(k => k.Length == 4 && k[0] == 'C' && e.GetBoolean(k) == true);
        }
        return attempts;
    }

    static string FailureKey(string requestKey) =>
        FailurePrefix + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(requestKey)));

    static TableEntity Write(BatchRecord r) => new(r.RunId, r.Key)
    {
        ["Cycle"] = r.Cycle,
        ["Section"] = r.Section,
        ["Role"] = r.Role,
        ["InputBlob"] = r.InputBlob,
        ["FileName"] = r.FileName,
        ["Requests"] = r.Requests,
        ["Bytes"] = r.Bytes,
        ["FileId"] = r.FileId,
        ["BatchId"] = r.BatchId,
        ["State"] = r.State,
        ["Completed"] = r.Completed,
        ["Failed"] = r.Failed,
        ["OutputFileId"] = r.OutputFileId,
        ["ErrorFileId"] = r.ErrorFileId,
        ["Error"] = r.Error is { Length: > 8_000 } text ? text[..8_000] + "…" : r.Error,
        ["Ingested"] = r.Ingested,
        ["Answered"] = r.Answered,
        ["Unanswered"] = r.Unanswered,
        ["InputTokens"] = r.InputTokens,
        ["OutputTokens"] = r.OutputTokens,
    };

    static BatchRecord Read(TableEntity e) => new(
        e.PartitionKey, e.RowKey, e.GetInt32("Cycle") ?? 0, e.GetString("Section") ?? "", e.GetString("Role") ?? "", e.GetString("InputBlob") ?? "",
        e.GetString("FileName") ?? "", e.GetInt32("Requests") ?? 0, e.GetInt64("Bytes") ?? 0, e.GetString("FileId"), e.GetString("BatchId"),
        e.GetString("State") ?? BatchRecord.Preparing, e.GetInt32("Completed") ?? 0, e.GetInt32("Failed") ?? 0, e.GetString("OutputFileId"),
        e.GetString("ErrorFileId"), e.GetString("Error"), e.GetBoolean("Ingested") ?? false, e.GetInt32("Answered") ?? 0,
        e.GetInt32("Unanswered") ?? 0, e.GetInt64("InputTokens") ?? 0, e.GetInt64("OutputTokens") ?? 0);
}
