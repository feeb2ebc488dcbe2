using System.ClientModel;
using Microsoft.Extensions.Logging;

namespace SynthPref.Orchestration.Batch;

/// <summary>One batch as a run's status shows it: the provider's id and state, its requests, and how many of them the
/// provider has answered and failed so far.</summary>
public sealed record BatchView(string Id, string Role, string State, int Requests, int Completed, int Failed)
{
    public static BatchView Of(BatchRecord r) => new(r.BatchId ?? "", r.Role, r.State, r.Requests, r.Completed, r.Failed);
}

/// <summary>A cycle's batches as they stand.</summary>
public sealed record BatchesStatus(IReadOnlyList<BatchView> Batches)
{
    public bool AllEnded => Batches.All(b => BatchInfo.IsTerminal(b.State));

    public static BatchesStatus Of(IEnumerable<BatchRecord> records) => new(records.Select(BatchView.Of).ToList());
}

/// <summary>Asks the provider how a cycle's batches stand, and cancels them; every answer is kept in their rows.</summary>
public sealed class BatchMonitor(BatchStore store, BatchApis apis, ILogger<BatchMonitor> logger)
{
    public async Task<BatchesStatus> CheckAsync(string runId, int cycle, CancellationToken ct)
    {
        var records = new List<BatchRecord>();
        foreach (var record in await store.ListAsync(runId, cycle, ct).ConfigureAwait(false))
        {
            if (record.IsTerminal || record.BatchId is null)
            {
                records.Add(Settled(record));
                continue;
            }
            var now = record.With(await apis.For(record.Section).GetAsync(record.BatchId, ct).ConfigureAwait(false));
            if (now != record) await store.SaveAsync(now, ct).ConfigureAwait(false);
            records.Add(now);
        }
        return BatchesStatus.Of(records);
    }

    /// <summary>Cancels every batch of the cycle still running. The provider answers with "cancelling"; what the batches
    /// answered before they stopped is in their output once they reach "cancelled".</summary>
    public async Task<BatchesStatus> CancelAsync(string runId, int cycle, CancellationToken ct)
    {
        var records = new List<BatchRecord>();
        foreach (var record in await store.ListAsync(runId, cycle, ct).ConfigureAwait(false))
        {
            if (record.IsTerminal || record.BatchId is null || record.State == "cancelling")
            {
                records.Add(Settled(record));
                continue;
            }
            var api = apis.For(record.Section);
            BatchInfo info;
            try
            {
                info = await api.CancelAsync(record.BatchId, ct).ConfigureAwait(false);
            }
            catch (ClientResultException e) when (e.Status is >= 400 and < 500)
            {
                // It ended meanwhile: a batch that has finished cannot be cancelled.
                info = await api.GetAsync(record.BatchId, ct).ConfigureAwait(false);
            }
            var now = record.With(info);
            await store.SaveAsync(now, ct).ConfigureAwait(false);
            logger.LogInformation("Run {RunId}: batch {BatchId} cancelled ({State})", runId, record.BatchId, now.State);
            records.Add(now);
        }
        return BatchesStatus.Of(records);
    }

    /// <summary>A row the provider never got a batch for (its submit failed) will not change: it is failed.</summary>
    static BatchRecord Settled(BatchRecord record) =>
        record.BatchId is null && !record.IsTerminal ? record with { State = "failed", Error = record.Error ?? "The batch was never created." } : record;
}
