using Azure.Data.Tables;
using SynthPref.Orchestration.Storage;
using static SynthPref.Orchestration.Reviews.ReviewPartition;

namespace SynthPref.Orchestration.Reviews;

/// <summary>What a label came to. Completed: accepted, and it gave its item the last reviewer it needed.</summary>
enum LabelOutcome { Accepted, Completed, PhaseClosed, NoSuchItem, TooManyReviewers, Contended }

/// <summary>One row per (item, reviewer): a reviewer's later label replaces their earlier one.</summary>
sealed class LabelRows(StorageClients storage)
{
    TableClient Table => ReviewPartition.Table(storage);

    /// <summary>
    /// Writes the label in one transaction with its item's row, conditional on the ETag the item row was read with: the
    /// label commits only while the item is as read, and so still open. Accepted, or Completed when this label gave the
    /// item its <paramref name="minReviewsPerItem"/>-th reviewer.
    /// </summary>
    public async Task<LabelOutcome> SubmitAsync(string runId, ReviewLabelRecord label, int minReviewsPerItem, int maxReviewersPerItem,
        CancellationToken ct)
    {
        for (var attempt = 0; attempt < TransactionAttempts; attempt++)
        {
            var itemRow = await Table.GetEntityIfExistsAsync<TableEntity>(runId, label.ItemId, cancellationToken: ct);
            if (!itemRow.HasValue) return LabelOutcome.NoSuchItem;
            var item = itemRow.Value!;
            if (item.GetBoolean("Closed") == true) return LabelOutcome.PhaseClosed;

            var key = KeyOf(label.ItemId, label.Reviewer);
            var existing = await Table.GetEntityIfExistsAsync<TableEntity>(runId, key, cancellationToken: ct);
            var reviewers = item.GetInt32("Reviewers") ?? 0;
            var isNew = !existing.HasValue;
            if (isNew && reviewers >= maxReviewersPerItem) return LabelOutcome.TooManyReviewers;

            var labelRow = new TableEntity(runId, key)
            {
                ["ItemId"] = label.ItemId,
                ["Reviewer"] = label.Reviewer,
                ["Label"] = label.Label.ToString(),
                ["SubmittedAt"] = label.SubmittedAt,
            };
            var itemUpdate = new TableEntity(runId, label.ItemId) { ["Reviewers"] = reviewers + (isNew ? 1 : 0) };
            List<TableTransactionAction> batch =
            [
                // The condition is the point: the label commits only if the item is still as read, and so still open.
                new(TableTransactionActionType.UpdateMerge, itemUpdate, item.ETag),
                isNew
                    ? new(TableTransactionActionType.Add, labelRow)
                    : new(TableTransactionActionType.UpdateReplace, labelRow, existing.Value!.ETag),
            ];
            try
            {
                await Table.SubmitTransactionAsync(batch, ct);
                return isNew && reviewers + 1 == minReviewsPerItem ? LabelOutcome.Completed : LabelOutcome.Accepted;
            }
            catch (TableTransactionFailedException e) when (e.Status is 412 or 409)
            {
                await Backoff(attempt, ct);
            }
        }
        return LabelOutcome.Contended;
    }

    /// <summary>Every label of the run, as the store lists them: by item, then by the hash of the reviewer's name.</summary>
    public async Task<IReadOnlyList<ReviewLabelRecord>> ListAsync(string runId, CancellationToken ct)
    {
        var labels = new List<ReviewLabelRecord>();
        await foreach (var e in QueryPrefixAsync(Table, runId, LabelPrefix, ct))
            labels.Add(new ReviewLabelRecord(e.GetString("ItemId")!, e.GetString("Reviewer")!,
                Enum.Parse<ReviewLabel>(e.GetString("Label")!), e.GetDateTimeOffset("SubmittedAt") ?? DateTimeOffset.MinValue));
        return labels;
    }

    // Reviewer names are free text; hashing keeps them out of the RowKey's forbidden characters.
    static string KeyOf(string itemId, string reviewer) => $"{LabelPrefix}{itemId}_{StorageKeys.Hash(reviewer, 24)}";
}
