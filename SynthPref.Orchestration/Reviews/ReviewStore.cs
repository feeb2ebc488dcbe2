using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using SynthPref.Orchestration.Storage;
using SynthPref.Orchestration.Judging;

namespace SynthPref.Orchestration.Reviews;

/// <summary>A sampled pair as reviewers see it. Flipped = the pair's B text is shown first. Reviewers counts the
/// distinct people who labelled it; Closed once the phase ended, after which no label is taken. Round: the sampling
/// round that drew it (1 for the first sample).</summary>
public sealed record ReviewItem(string RunId, string ItemId, string PairId, bool Flipped, int Reviewers = 0, bool Closed = false, int Round = 1);

public enum ReviewLabel { First, Second, Tie }

public sealed record ReviewLabelRecord(string ItemId, string Reviewer, ReviewLabel Label, DateTimeOffset SubmittedAt);

public enum ReviewPhaseStatus { Open, Closed }

/// <summary>The run's review phase as stored: the truth labels are checked against. Round: the latest sampling round,
/// for phases opened by runs that take review in rounds (orchestration version 2.0 on); null for phases of older runs,
/// whose completion signal carries no round. Adaptive: the run's targetCiWidth and maxReviewSampleSize, and why its
/// rounds stopped; null without a target. EscalationRound: the round that sent people the pairs under the trust
/// threshold, once it is drawn.</summary>
public sealed record ReviewPhase(ReviewPhaseStatus Status, string? EndedBy, int SampledItems, int MinReviewsPerItem, DateTimeOffset? Deadline,
    int MaxReviewersPerItem = ReviewPhase.DefaultMaxReviewersPerItem, int? Round = null, AdaptiveReview? Adaptive = null,
    bool ItemsStartCounted = false, int? EscalationRound = null)
{
    /// <summary>For phases opened before the limit was stored with them.</summary>
    public const int DefaultMaxReviewersPerItem = 50;
}

/// <summary>The phase as closing left it, and whether this close ended an open phase (rather than finding it
/// closed already, or closing it before it opened).</summary>
public sealed record ReviewClosing(ReviewPhase Phase, bool ClosedOpenPhase);

public enum LabelOutcome { Accepted, Completed, PhaseClosed, NoSuchItem, TooManyReviewers, Contended }

/// <summary>How a phase opens: the label rules, the deadline, whether it counts rounds (see <see cref="ReviewPhase.Round"/>),
/// and the adaptive target, if any.</summary>
public sealed record ReviewOpening(int MinReviewsPerItem, DateTimeOffset Deadline, int MaxReviewersPerItem = ReviewPhase.DefaultMaxReviewersPerItem,
    bool Rounds = false, AdaptiveReview? Adaptive = null, ReviewRound? FirstRound = null);

/// <summary>What adding a round came to: Added, or the phase was closed meanwhile (its new items then take no label).</summary>
public enum RoundOutcome { Added, PhaseClosed }

/// <summary>
/// Review state is storage-first: one Table partition per run holds the phase row, one row per sampled item and one
/// row per (item, reviewer) label. A label is written in one transaction with its item's row, conditional on that
/// row's ETag, and closing the phase marks every item row closed. So a label either commits while its item is open,
/// and is counted, or is refused; there is no third case. The orchestration is told only that the phase ended,
/// never about each label, so 10,000 labels leave its history as short as 10 do.
/// </summary>
public sealed class ReviewStore(StorageClients storage)
{
    const string PhaseKey = "phase";
    const string ItemPrefix = "item-";
    const string LabelPrefix = "label-";
    const string RoundPrefix = "round-";
    const int TransactionAttempts = 40;

    TableClient Table => storage.Table(StorageNames.ReviewsTable);

    /// <summary>Writes the sampled items and the first round's record, then opens the phase. Returns false when someone
    /// closed the phase before it opened (close is allowed early and skips review). Safe to repeat.</summary>
    public async Task<bool> OpenAsync(string runId, IReadOnlyList<ReviewItem> items, ReviewOpening opening, CancellationToken ct)
    {
        await WriteItemsAsync(runId, items, ct);
        await WriteRoundAsync(runId, opening.FirstRound ?? RoundOf(1, items, null), items, ct);
        try
        {
            var phase = PhaseEntity(runId, ReviewPhaseStatus.Open, null, items.Count, opening.MinReviewsPerItem, opening.Deadline);
            phase["MaxReviewersPerItem"] = opening.MaxReviewersPerItem;
            phase[CountedItemsProperty] = true;
            if (opening.Rounds) phase["Round"] = 1;
            if (opening.Adaptive is { } adaptive)
            {
                phase["TargetCiWidth"] = adaptive.TargetCiWidth;
                phase["MaxReviewSampleSize"] = adaptive.MaxReviewSampleSize;
            }
            await Table.AddEntityAsync(phase, ct);
            return true;
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            if ((await GetPhaseAsync(runId, ct))?.Status == ReviewPhaseStatus.Open) return true;
            // Closed before it opened: the items written above must take no label either, or a label could be
            // accepted on them and never counted.
            await CloseItemsAsync(runId, ct);
            return false;
        }
    }

    /// <summary>
    /// Adds round <paramref name="round"/>'s items to an open phase: the items and the round's record first, then the
    /// phase row moves to the round and its sampled count, conditional on its ETag, so a close racing this either finds
    /// the items (and closes them) or finds the phase already moved on. A phase closed meanwhile gets the new items
    /// closed too, so none takes a label that nobody reads. Safe to repeat: a round the phase already has is left as is.
    /// </summary>
    public async Task<RoundOutcome> AddRoundAsync(string runId, ReviewRound record, IReadOnlyList<ReviewItem> items, CancellationToken ct)
    {
        var existing = await Table.GetEntityAsync<TableEntity>(runId, PhaseKey, cancellationToken: ct);
        if (ToPhase(existing.Value) is { Status: ReviewPhaseStatus.Closed }) return RoundOutcome.PhaseClosed;
        if (ToPhase(existing.Value).Round >= record.Round) return RoundOutcome.Added;

        await WriteItemsAsync(runId, items, ct);
        await WriteRoundAsync(runId, record, items, ct);
        for (var attempt = 0; ; attempt++)
        {
            var row = attempt == 0 ? existing.Value : (await Table.GetEntityAsync<TableEntity>(runId, PhaseKey, cancellationToken: ct)).Value;
            var phase = ToPhase(row);
            if (phase.Status == ReviewPhaseStatus.Closed)
            {
                await CloseItemsAsync(runId, ct);
                return RoundOutcome.PhaseClosed;
            }
            if (phase.Round >= record.Round) return RoundOutcome.Added;
            row["Round"] = record.Round;
            row["SampledItems"] = phase.SampledItems + items.Count;
            if (record.Escalation is not null) row[EscalationRoundProperty] = record.Round;
            try
            {
                await Table.UpdateEntityAsync(row, row.ETag, TableUpdateMode.Replace, ct);
                return RoundOutcome.Added;
            }
            catch (RequestFailedException e) when (e.Status == 412 && attempt < TransactionAttempts)
            {
            }
        }
    }

    /// <summary>Records why the run's adaptive rounds stopped (the first reason stays).</summary>
    public async Task SetRoundsStoppedAsync(string runId, string stoppedBy, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            var row = (await Table.GetEntityAsync<TableEntity>(runId, PhaseKey, cancellationToken: ct)).Value;
            if (row.GetString("RoundsStoppedBy") is not null) return;
            row["RoundsStoppedBy"] = stoppedBy;
            try
            {
                await Table.UpdateEntityAsync(row, row.ETag, TableUpdateMode.Merge, ct);
                return;
            }
            catch (RequestFailedException e) when (e.Status == 412 && attempt < TransactionAttempts)
            {
            }
        }
    }

    /// <summary>The run's sampling rounds, first to last; empty for phases opened before rounds were recorded.</summary>
    public async Task<IReadOnlyList<ReviewRound>> ListRoundsAsync(string runId, CancellationToken ct)
    {
        var rounds = new List<ReviewRound>();
        await foreach (var e in QueryPrefixAsync(runId, RoundPrefix, ct))
            rounds.Add(new ReviewRound(e.GetInt32("Round") ?? 0, e.GetInt32("SampledItems") ?? 0,
                JsonSerializer.Deserialize<Dictionary<string, int>>(e.GetString("ByCategory") ?? "{}")!,
                e.GetString("WiderThanTarget") is { } wide ? JsonSerializer.Deserialize<List<CategoryInterval>>(wide) : null,
                e.GetString("Escalation") is { } escalation ? JsonSerializer.Deserialize<EscalationDraw>(escalation) : null));
        return rounds.OrderBy(r => r.Round).ToList();
    }

    /// <summary>A round's record from its items: how many per category (by the pairs' categories).</summary>
    public static ReviewRound RoundOf(int round, IReadOnlyList<ReviewItem> items, IReadOnlyList<CategoryInterval>? wide,
        Func<ReviewItem, string>? categoryOf = null, EscalationDraw? escalation = null) =>
        new(round, items.Count, categoryOf is null
                ? new SortedDictionary<string, int>(StringComparer.Ordinal)
                : new SortedDictionary<string, int>(items.GroupBy(categoryOf).ToDictionary(g => g.Key, g => g.Count()), StringComparer.Ordinal),
            wide, escalation);

    async Task WriteItemsAsync(string runId, IReadOnlyList<ReviewItem> items, CancellationToken ct)
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

    Task WriteRoundAsync(string runId, ReviewRound record, IReadOnlyList<ReviewItem> items, CancellationToken ct) =>
        Table.UpsertEntityAsync(new TableEntity(runId, $"{RoundPrefix}{record.Round:D4}")
        {
            ["Round"] = record.Round,
            ["SampledItems"] = items.Count,
            ["ByCategory"] = JsonSerializer.Serialize(record.ByCategory),
            ["WiderThanTarget"] = record.WiderThanTarget is { } wide ? JsonSerializer.Serialize(wide) : null,
            ["Escalation"] = record.Escalation is { } escalation ? JsonSerializer.Serialize(escalation) : null,
        }, TableUpdateMode.Replace, ct);

    public async Task<ReviewPhase?> GetPhaseAsync(string runId, CancellationToken ct)
    {
        var row = await Table.GetEntityIfExistsAsync<TableEntity>(runId, PhaseKey, cancellationToken: ct);
        return row.HasValue ? ToPhase(row.Value!) : null;
    }

    /// <summary>
    /// Ends the phase: the first caller's reason is kept. Every item row is closed before the phase row says Closed,
    /// so once this returns no label can be added and the labels in storage are final. Before the phase opened it
    /// records an early close, which makes the run skip review.
    /// </summary>
    public async Task<ReviewClosing> CloseAsync(string runId, string endedBy, CancellationToken ct)
    {
        var phaseRow = await Table.GetEntityIfExistsAsync<TableEntity>(runId, PhaseKey, cancellationToken: ct);
        if (!phaseRow.HasValue)
        {
            try
            {
                var early = PhaseEntity(runId, ReviewPhaseStatus.Closed, endedBy, 0, 0, null);
                await Table.AddEntityAsync(early, ct);
                // The phase may be opening right now, its items already written; none of them may take a label.
                await CloseItemsAsync(runId, ct);
                return new ReviewClosing(ToPhase(early), ClosedOpenPhase: false);
            }
            catch (RequestFailedException e) when (e.Status == 409)
            {
                // The phase opened meanwhile; close it like any open phase.
            }
        }

        await CloseItemsAsync(runId, ct);

        for (var attempt = 0; ; attempt++)
        {
            var row = (await Table.GetEntityAsync<TableEntity>(runId, PhaseKey, cancellationToken: ct)).Value;
            if (ToPhase(row).Status == ReviewPhaseStatus.Closed) return new ReviewClosing(ToPhase(row), ClosedOpenPhase: false);
            row["Status"] = ReviewPhaseStatus.Closed.ToString();
            row["EndedBy"] = endedBy;
            try
            {
                await Table.UpdateEntityAsync(row, row.ETag, TableUpdateMode.Replace, ct);
                // A round being added while this closed may have written items after the first pass read the list.
                await CloseItemsAsync(runId, ct);
                return new ReviewClosing(ToPhase(row), ClosedOpenPhase: true);
            }
            catch (RequestFailedException e) when (e.Status == 412 && attempt < TransactionAttempts)
            {
            }
        }
    }

    async Task CloseItemsAsync(string runId, CancellationToken ct)
    {
        foreach (var item in await ListItemsAsync(runId, ct))
            if (!item.Closed)
                await CloseItemAsync(runId, item.ItemId, ct);
    }

    async Task CloseItemAsync(string runId, string itemId, CancellationToken ct)
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

    public async Task<IReadOnlyList<ReviewItem>> ListItemsAsync(string runId, CancellationToken ct)
    {
        var items = new List<ReviewItem>();
        await foreach (var e in QueryPrefixAsync(runId, ItemPrefix, ct))
            items.Add(ToItem(runId, e));
        return items;
    }

    /// <summary>Set on phases whose item rows start with a reviewer count of 0, so a filter on it finds every item.</summary>
    const string CountedItemsProperty = "ItemsStartCounted";

    const string EscalationRoundProperty = "EscalationRound";

    /// <summary>Whether any sampled item of the phase has fewer than its minimum of reviewers. The store filters and
    /// stops at the first such item, so the check after each label reads one row, not the whole sample.</summary>
    public async Task<bool> AnyItemBelowAsync(string runId, ReviewPhase phase, CancellationToken ct)
    {
        var min = Math.Max(1, phase.MinReviewsPerItem);
        if (!phase.ItemsStartCounted)
            // Opened before item rows carried a count: a row without one is an item nobody labelled, which no filter matches.
            return (await ListItemsAsync(runId, ct)).Any(i => i.Reviewers < min);
        var filter = PrefixFilter(runId, ItemPrefix) + TableClient.CreateQueryFilter($" and Reviewers lt {min}");
        await foreach (var page in Table.QueryAsync<TableEntity>(filter, maxPerPage: 1, select: ["RowKey"], cancellationToken: ct).AsPages())
            if (page.Values.Count > 0) return true;
        return false;
    }

    public async Task<ReviewItem?> GetItemAsync(string runId, string itemId, CancellationToken ct)
    {
        if (!itemId.StartsWith(ItemPrefix, StringComparison.Ordinal) || !StorageKeys.IsSafe(itemId, 200)) return null;
        var r = await Table.GetEntityIfExistsAsync<TableEntity>(runId, itemId, cancellationToken: ct);
        return r.HasValue ? ToItem(runId, r.Value!) : null;
    }

    /// <summary>
    /// One row per (item, reviewer): a reviewer's later label replaces their earlier one. Accepted, or Completed when
    /// this label gave the item its <paramref name="minReviewsPerItem"/>-th reviewer.
    /// </summary>
    public async Task<LabelOutcome> SubmitLabelAsync(string runId, ReviewLabelRecord label, int minReviewsPerItem, int maxReviewersPerItem,
        CancellationToken ct)
    {
        for (var attempt = 0; attempt < TransactionAttempts; attempt++)
        {
            var itemRow = await Table.GetEntityIfExistsAsync<TableEntity>(runId, label.ItemId, cancellationToken: ct);
            if (!itemRow.HasValue) return LabelOutcome.NoSuchItem;
            var item = itemRow.Value!;
            if (item.GetBoolean("Closed") == true) return LabelOutcome.PhaseClosed;

            var key = LabelKey(label.ItemId, label.Reviewer);
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

    public async Task<IReadOnlyList<ReviewLabelRecord>> ListLabelsAsync(string runId, CancellationToken ct)
    {
        var labels = new List<ReviewLabelRecord>();
        await foreach (var e in QueryPrefixAsync(runId, LabelPrefix, ct))
            labels.Add(new ReviewLabelRecord(e.GetString("ItemId")!, e.GetString("Reviewer")!,
                Enum.Parse<ReviewLabel>(e.GetString("Label")!), e.GetDateTimeOffset("SubmittedAt") ?? DateTimeOffset.MinValue));
        return labels;
    }

    /// <summary>Maps a reviewer's label on the shown order back to the pair's own A/B terms.</summary>
    public static Preference ToPairPreference(ReviewLabel label, bool flipped) => label switch
    {
        ReviewLabel.Tie => Preference.Tie,
        ReviewLabel.First => flipped ? Preference.B : Preference.A,
        _ => flipped ? Preference.A : Preference.B,
    };

    IAsyncEnumerable<TableEntity> QueryPrefixAsync(string runId, string prefix, CancellationToken ct) =>
        Table.QueryAsync<TableEntity>(PrefixFilter(runId, prefix), cancellationToken: ct);

    // Prefix ranges: every key of a kind sorts between "prefix" and the prefix with its last character bumped.
    static string PrefixFilter(string runId, string prefix) =>
        TableClient.CreateQueryFilter($"PartitionKey eq {runId} and RowKey ge {prefix} and RowKey lt {prefix[..^1] + (char)(prefix[^1] + 1)}");

    static TableEntity PhaseEntity(string runId, ReviewPhaseStatus status, string? endedBy, int sampled, int minReviews, DateTimeOffset? deadline) =>
        new(runId, PhaseKey)
        {
            ["Status"] = status.ToString(),
            ["EndedBy"] = endedBy,
            ["SampledItems"] = sampled,
            ["MinReviewsPerItem"] = minReviews,
            ["Deadline"] = deadline,
        };

    static ReviewPhase ToPhase(TableEntity e) => new(
        Enum.Parse<ReviewPhaseStatus>(e.GetString("Status")!), e.GetString("EndedBy"), e.GetInt32("SampledItems") ?? 0,
        e.GetInt32("MinReviewsPerItem") ?? 0, e.GetDateTimeOffset("Deadline"),
        e.GetInt32("MaxReviewersPerItem") is int max and > 0 ? max : ReviewPhase.DefaultMaxReviewersPerItem,
        e.GetInt32("Round"),
        e.GetDouble("TargetCiWidth") is { } target
            ? new AdaptiveReview(target, e.GetInt32("MaxReviewSampleSize"), e.GetString("RoundsStoppedBy"))
            : null,
        e.GetBoolean(CountedItemsProperty) == true,
        e.GetInt32(EscalationRoundProperty));

    static ReviewItem ToItem(string runId, TableEntity e) => new(runId, e.RowKey, e.GetString("PairId")!,
        e.GetBoolean("Flipped") ?? false, e.GetInt32("Reviewers") ?? 0, e.GetBoolean("Closed") ?? false, e.GetInt32("Round") ?? 1);

    // Reviewer names are free text; hashing keeps them out of the RowKey's forbidden characters.
    static string LabelKey(string itemId, string reviewer) => $"{LabelPrefix}{itemId}_{StorageKeys.Hash(reviewer, 24)}";

    static Task Backoff(int attempt, CancellationToken ct) =>
        Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(5, 20 + 10 * Math.Min(attempt, 10))), ct);
}
