using Azure.Data.Tables;
using SynthPref.Orchestration.Pairs;
using SynthPref.Orchestration.Storage;

namespace SynthPref.Orchestration.Reviews;

/// <summary>A sampled pair as reviewers see it. Flipped = the pair's B text is shown first.</summary>
public sealed record ReviewItem(string RunId, string ItemId, string PairId, bool Flipped);

public enum ReviewLabel { First, Second, Tie }

public sealed record ReviewLabelRecord(string ItemId, string Reviewer, ReviewLabel Label, DateTimeOffset SubmittedAt);

public sealed class ReviewStore(StorageClients storage)
{
    TableClient Items => storage.Table(StorageNames.ReviewItemsTable);
    TableClient Labels => storage.Table(StorageNames.ReviewsTable);

    public async Task SaveItemsAsync(IEnumerable<ReviewItem> items, CancellationToken ct)
    {
        foreach (var item in items)
        {
            await Items.UpsertEntityAsync(new TableEntity(item.RunId, item.ItemId)
            {
                ["PairId"] = item.PairId,
                ["Flipped"] = item.Flipped,
            }, TableUpdateMode.Replace, ct);
        }
    }

    public async Task<IReadOnlyList<ReviewItem>> ListItemsAsync(string runId, CancellationToken ct)
    {
        var items = new List<ReviewItem>();
        await foreach (var e in Items.QueryAsync<TableEntity>(e => e.PartitionKey == runId, cancellationToken: ct))
            items.Add(new ReviewItem(runId, e.RowKey, e.GetString("PairId")!, e.GetBoolean("Flipped") ?? false));
        return items;
    }

    public async Task<ReviewItem?> GetItemAsync(string runId, string itemId, CancellationToken ct)
    {
        if (!StorageKeys.IsSafe(itemId, 200)) return null;
        var r = await Items.GetEntityIfExistsAsync<TableEntity>(runId, itemId, cancellationToken: ct);
        return r.HasValue ? new ReviewItem(runId, itemId, r.Value!.GetString("PairId")!, r.Value.GetBoolean("Flipped") ?? false) : null;
    }

    /// <summary>One row per (item, reviewer): a second label from the same reviewer replaces the first.</summary>
    public async Task SaveLabelAsync(string runId, ReviewLabelRecord label, CancellationToken ct) =>
        await Labels.UpsertEntityAsync(new TableEntity(runId, LabelKey(label.ItemId, label.Reviewer))
        {
            ["ItemId"] = label.ItemId,
            ["Reviewer"] = label.Reviewer,
            ["Label"] = label.Label.ToString(),
            ["SubmittedAt"] = label.SubmittedAt,
        }, TableUpdateMode.Replace, ct);

    /// <summary>Maps a reviewer's label on the shown order back to the pair's own A/B terms.</summary>
    public static Preference ToPairPreference(ReviewLabel label, bool flipped) => label switch
    {
        ReviewLabel.Tie => Preference.Tie,
        ReviewLabel.First => flipped ? Preference.B : Preference.A,
        _ => flipped ? Preference.A : Preference.B,
    };

    // Reviewer names are free text; hashing keeps them out of the RowKey's forbidden characters.
    static string LabelKey(string itemId, string reviewer) => $"{itemId}_{StorageKeys.Hash(reviewer, 24)}";


}
