using Azure.Data.Tables;
using SynthPref.Orchestration.Storage;

namespace SynthPref.Orchestration.Pairs;

/// <summary>Pairs in Table Storage: PartitionKey = runId, RowKey = <see cref="PreferencePair.KeyFor"/>.</summary>
public sealed class PairStore(StorageClients storage)
{
    TableClient Table => storage.Table(StorageNames.PairsTable);

    /// <summary>Upsert-replace, so an activity that runs twice leaves exactly one row.</summary>
    public async Task SaveAsync(PreferencePair pair, CancellationToken ct) =>
        await Table.UpsertEntityAsync(ToEntity(pair), TableUpdateMode.Replace, ct);

    /// <summary>
    /// Upserts a run's pairs in as few requests as Table Storage allows: transactions of at most 100 entities of one
    /// partition and a few MB each. Each transaction is all or nothing, and every write is an upsert, so a retry after a
    /// failure part-way rewrites what was written and loses nothing.
    /// </summary>
    public async Task SaveAllAsync(string runId, IReadOnlyList<PreferencePair> pairs, CancellationToken ct)
    {
        const int MaxEntities = 100;
        const long MaxBytes = 3L * 1024 * 1024; // under the 4 MB payload limit, with room for the batch framing
        var batch = new List<TableTransactionAction>();
        long bytes = 0;
        foreach (var pair in pairs)
        {
            if (pair.RunId != runId) throw new ArgumentException($"Pair {pair.PairId} belongs to run {pair.RunId}, not {runId}.", nameof(pairs));
            var size = ApproximateBytes(pair);
            if (batch.Count == MaxEntities || (batch.Count > 0 && bytes + size > MaxBytes))
            {
                await Table.SubmitTransactionAsync(batch, ct);
                batch = [];
                bytes = 0;
            }
            batch.Add(new TableTransactionAction(TableTransactionActionType.UpsertReplace, ToEntity(pair)));
            bytes += size;
        }
        if (batch.Count > 0)
            await Table.SubmitTransactionAsync(batch, ct);
    }

    // Strings travel as UTF-16 in the service's accounting and as escaped JSON on the wire: twice the characters,
    // plus the other properties, bounds both.
    static long ApproximateBytes(PreferencePair p) =>
        2L * (p.Prompt.Length + p.ResponseA.Length + p.ResponseB.Length + (p.Reasoning?.Length ?? 0) + p.InputId.Length + p.Category.Length) + 2_048;

    public async Task<IReadOnlyList<PreferencePair>> ListAsync(string runId, CancellationToken ct)
    {
        var pairs = new List<PreferencePair>();
        await foreach (var entity in Table.QueryAsync<TableEntity>(e => e.PartitionKey == runId, cancellationToken: ct))
            pairs.Add(FromEntity(entity));
        return pairs;
    }

    /// <summary>The row keys of a run's pairs, without their texts.</summary>
    public async Task<IReadOnlyList<string>> ListKeysAsync(string runId, CancellationToken ct)
    {
        var keys = new List<string>();
        await foreach (var entity in Table.QueryAsync<TableEntity>(e => e.PartitionKey == runId, select: ["RowKey"], cancellationToken: ct))
            keys.Add(entity.RowKey);
        return keys;
    }

    public async Task<PreferencePair?> GetAsync(string runId, string pairId, CancellationToken ct)
    {
        var response = await Table.GetEntityIfExistsAsync<TableEntity>(runId, pairId, cancellationToken: ct);
        return response.HasValue ? FromEntity(response.Value!) : null;
    }

    static TableEntity ToEntity(PreferencePair p)
    {
        var e = new TableEntity(p.RunId, p.PairId)
        {
            ["ItemIndex"] = p.ItemIndex,
            ["InputId"] = p.InputId,
            ["Category"] = p.Category,
            ["Source"] = p.Source.ToString(),
            ["ModelA"] = p.ModelA,
            ["ModelB"] = p.ModelB,
            ["Verdict"] = p.Verdict.ToString(),
            ["Confidence"] = p.Confidence?.ToString(),
            ["JudgedBothOrders"] = p.JudgedBothOrders,
            ["PositionInconsistent"] = p.PositionInconsistent,
            ["ForwardCall"] = p.ForwardCall?.ToString(),
            ["SwappedCall"] = p.SwappedCall?.ToString(),
            ["JudgeCalls"] = p.JudgeCalls,
            ["JudgeModel"] = p.JudgeModel,
        };
        LongText.Write(e, "Prompt", p.Prompt);
        LongText.Write(e, "ResponseA", p.ResponseA);
        LongText.Write(e, "ResponseB", p.ResponseB);
        LongText.Write(e, "Reasoning", p.Reasoning);
        return e;
    }

    static PreferencePair FromEntity(TableEntity e) => new(
        RunId: e.PartitionKey,
        PairId: e.RowKey,
        ItemIndex: e.GetInt32("ItemIndex") ?? 0,
        InputId: e.GetString("InputId") ?? "",
        Category: e.GetString("Category") ?? "uncategorized",
        Source: Enum.Parse<PairSource>(e.GetString("Source")!),
        Prompt: LongText.Read(e, "Prompt") ?? "",
        ResponseA: LongText.Read(e, "ResponseA") ?? "",
        ResponseB: LongText.Read(e, "ResponseB") ?? "",
        ModelA: e.GetString("ModelA"),
        ModelB: e.GetString("ModelB"),
        Verdict: Enum.Parse<Preference>(e.GetString("Verdict")!),
        Confidence: ParseOptional<Confidence>(e.GetString("Confidence")),
        Reasoning: LongText.Read(e, "Reasoning"),
        JudgedBothOrders: e.GetBoolean("JudgedBothOrders") ?? false,
        PositionInconsistent: e.GetBoolean("PositionInconsistent") ?? false,
        ForwardCall: ParseOptional<Preference>(e.GetString("ForwardCall")),
        SwappedCall: ParseOptional<Preference>(e.GetString("SwappedCall")),
        JudgeCalls: e.GetInt32("JudgeCalls") ?? 0,
        JudgeModel: e.GetString("JudgeModel"));

    static T? ParseOptional<T>(string? text) where T : struct, Enum =>
        text is null ? null : Enum.Parse<T>(text);
}
