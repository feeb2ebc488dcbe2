using Azure.Data.Tables;
using SynthPref.Orchestration.Storage;

namespace SynthPref.Orchestration.Pairs;

/// <summary>One item step that still failed after the LLM layer's retries.</summary>
public sealed record ItemFailure(int ItemIndex, string InputId, string Step, string Error, DateTimeOffset At);

/// <summary>
/// Every failed item step, so none is visible only in a host log. Rows are upserts keyed by item and step; a step
/// that later succeeded (a redelivered activity) leaves its pair, and <see cref="ListAsync"/> drops such rows.
/// </summary>
public sealed class FailureStore(StorageClients storage, PairStore pairs)
{
    TableClient Table => storage.Table(StorageNames.FailuresTable);

    public async Task RecordAsync(string runId, ItemFailure failure, CancellationToken ct) =>
        await Table.UpsertEntityAsync(new TableEntity(runId, $"{failure.ItemIndex:D7}-{failure.Step}")
        {
            ["ItemIndex"] = failure.ItemIndex,
            ["InputId"] = failure.InputId,
            ["Step"] = failure.Step,
            ["Error"] = Truncate(failure.Error, 30_000),
            ["At"] = failure.At,
        }, TableUpdateMode.Replace, ct);

    /// <summary>The run's failures that still stand, in item order.</summary>
    public async Task<IReadOnlyList<ItemFailure>> ListAsync(string runId, CancellationToken ct)
    {
        var rows = new List<ItemFailure>();
        await foreach (var e in Table.QueryAsync<TableEntity>(e => e.PartitionKey == runId, cancellationToken: ct))
            rows.Add(new ItemFailure(e.GetInt32("ItemIndex") ?? 0, e.GetString("InputId") ?? "", e.GetString("Step") ?? "",
                e.GetString("Error") ?? "", e.GetDateTimeOffset("At") ?? DateTimeOffset.MinValue));
        if (rows.Count == 0) return rows;
        // Only the keys the failures could be superseded by are kept, so a large run's keys are read, not held.
        var wanted = rows.SelectMany(f => new[] { PreferencePair.KeyFor(f.ItemIndex, PairSource.Judge), PreferencePair.KeyFor(f.ItemIndex, PairSource.Revision) })
            .ToHashSet(StringComparer.Ordinal);
        var written = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var key in pairs.ReadKeysAsync(runId, ct))
            if (wanted.Contains(key)) written.Add(key);
        return rows.Where(f => !SupersededBy(f, written)).OrderBy(f => f.ItemIndex).ThenBy(f => f.Step, StringComparer.Ordinal).ToList();
    }

    static bool SupersededBy(ItemFailure failure, HashSet<string> pairKeys) => failure.Step switch
    {
        ItemSteps.Judge => pairKeys.Contains(PreferencePair.KeyFor(failure.ItemIndex, PairSource.Judge)),
        ItemSteps.Revise => pairKeys.Contains(PreferencePair.KeyFor(failure.ItemIndex, PairSource.Revision)),
        // Generation feeds every pair of its item; a failed activity wrote none that counted.
        _ => pairKeys.Contains(PreferencePair.KeyFor(failure.ItemIndex, PairSource.Judge))
             || pairKeys.Contains(PreferencePair.KeyFor(failure.ItemIndex, PairSource.Revision)),
    };

    static string Truncate(string text, int max) => text.Length <= max ? text : text[..max] + "…";
}

public static class ItemSteps
{
    /// <summary>The item's activity as a whole failed outside the LLM, after the durable retries.</summary>
    public const string Item = "item";
    public const string Generate = "generate";
    public const string Judge = "judge";
    public const string Revise = "critique-revise";
}
