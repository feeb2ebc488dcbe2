using Azure;
using Azure.Data.Tables;
using SynthPref.Orchestration.Storage;
using static SynthPref.Orchestration.Reviews.ReviewPartition;

namespace SynthPref.Orchestration.Reviews;

/// <summary>The sampled items' rows: the pair each shows, its display order, its round, how many distinct reviewers
/// labelled it, and whether it is closed.</summary>
sealed class ItemRows(StorageClients storage)
{
    /// <summary>Set on phase rows whose item rows start with a reviewer count of 0, so a filter on it finds every item.</summary>
    public const string CountedProperty = "ItemsStartCounted";

    TableClient Table => ReviewPartition.Table(storage);

    public async Task WriteAsync(string runId, IReadOnlyList<ReviewItem> items, CancellationToken ct)
    {
        foreach (var chunk in items.Chunk(100))
        {
            // Inserts, not upserts: a retried write must not reset the reviewer count of a row labels already reached.
            var rows = chunk.Select(item => new TableEntity(runId, item.ItemId)
            {
                ["PairId"] = item.PairId,
                ["Flipped"] = item.Flipped,
                ["Round"] = item.Round,
                ["Reviewers"] = 0,
            }).ToList();
            try
            {
                await Table.SubmitTransactionAsync(rows.Select(r => new TableTransactionAction(TableTransactionActionType.Add, r)), ct);
            }
            catch (TableTransactionFailedException e) when (e.Status == 409)
            {
                // Some of them exist from an earlier attempt: add the others one by one.
                foreach (var row in rows)
                {
                    try
                    {
                        await Table.AddEntityAsync(row, ct);
                    }
                    catch (RequestFailedException r) when (r.Status == 409)
                    {
                    }
                }
            }
        }
    }

    public async Task<IReadOnlyList<ReviewItem>> ListAsync(string runId, CancellationToken ct)
    {
        var items = new List<ReviewItem>();
        await foreach (var e in QueryPrefixAsync(Table, runId, ItemPrefix, ct))
            items.Add(new ReviewItem(runId, e.RowKey, e.GetString("PairId")!, e.GetBoolean("Flipped") ?? false, e.GetInt32("Reviewers") ?? 0,
                e.GetBoolean("Closed") ?? false, e.GetInt32("Round") ?? 1));
        return items;
    }

    /// <summary>Closes every item row still open, so none takes a label from here on.</summary>
    public async Task CloseAllAsync(string runId, CancellationToken ct)
    {
        foreach (var item in await ListAsync(runId, ct))
            if (!item.Closed)
                await CloseAsync(runId, item.ItemId, ct);
    }

    async Task CloseAsync(string runId, string itemId, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            var row = (await Table.GetEntityAsync<TableEntity>(runId, itemId, cancellationToken: ct)).Value;
            if (row.GetBoolean("Closed") == true) return;
            row["Closed"] = true;
            try
            {
                await Table.UpdateEntityAsync(row, row.ETag, TableUpdateMode.Merge, ct);
                return;
            }
            catch (RequestFailedException e) when (e.Status == 412 && attempt < TransactionAttempts)
            {
                await Backoff(attempt, ct);
            }
        }
    }

    /// <summary>Whether any sampled item of the phase has fewer than its minimum of reviewers. The store filters and
    /// stops at the first such item, so the check after each label reads one row, not the whole sample.</summary>
    public async Task<bool> AnyBelowAsync(string runId, ReviewPhase phase, CancellationToken ct)
    {
        var min = Math.Max(1, phase.MinReviewsPerItem);
        if (!phase.ItemsStartCounted)
            // Opened before item rows carried a count: a row without one is an item nobody labelled, which no filter matches.
            return (await ListAsync(runId, ct)).Any(i => i.Reviewers < min);
        var filter = PrefixFilter(runId, ItemPrefix) + TableClient.CreateQueryFilter($" and Reviewers lt {min}");
        await foreach (var page in Table.QueryAsync<TableEntity>(filter, maxPerPage: 1, select: ["RowKey"], cancellationToken: ct).AsPages())
            if (page.Values.Count > 0) return true;
        return false;
    }
}
