using Azure.Data.Tables;
using SynthPref.Orchestration.Storage;

namespace SynthPref.Orchestration.Input;

/// <summary>How far loading a run's input has come: lines read, and bytes read of the input's total.</summary>
public sealed record InputLoadProgress(long Lines, long Bytes, long TotalBytes);

/// <summary>
/// Loading progress lives in storage because the loading activity cannot set its orchestration's status: one row per
/// run, overwritten as the activity goes, that the status read joins while the run is loading.
/// </summary>
public sealed class LoadProgressStore(StorageClients storage)
{
    const string RowKey = "load";
    TableClient Table => storage.Table(StorageNames.ProgressTable);

    public async Task WriteAsync(string runId, InputLoadProgress progress, CancellationToken ct) =>
        await Table.UpsertEntityAsync(new TableEntity(runId, RowKey)
        {
            ["Lines"] = progress.Lines,
            ["Bytes"] = progress.Bytes,
            ["TotalBytes"] = progress.TotalBytes,
        }, TableUpdateMode.Replace, ct);

    public async Task<InputLoadProgress?> GetAsync(string runId, CancellationToken ct)
    {
        var row = await Table.GetEntityIfExistsAsync<TableEntity>(runId, RowKey, cancellationToken: ct);
        return row.HasValue
            ? new InputLoadProgress(row.Value!.GetInt64("Lines") ?? 0, row.Value.GetInt64("Bytes") ?? 0, row.Value.GetInt64("TotalBytes") ?? 0)
            : null;
    }
}
