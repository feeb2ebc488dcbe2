using Azure;
using Azure.Data.Tables;
using SynthPref.Orchestration.Storage;
using static SynthPref.Orchestration.Reviews.ReviewPartition;

namespace SynthPref.Orchestration.Reviews;

/// <summary>What adding a round came to: Added, or the phase was closed meanwhile (its new items then take no label).</summary>
enum RoundOutcome { Added, PhaseClosed }

/// <summary>
/// The phase row, the truth labels are checked against, and the moves that change it together with the item and round
/// rows: opening, adding a round, recording why rounds stopped, and closing. Every move is safe to repeat.
/// </summary>
sealed class PhaseRows(StorageClients storage, ItemRows items, RoundRows rounds)
{
    const string EscalationRoundProperty = "EscalationRound";
    const string RoundsStoppedProperty = "RoundsStoppedBy";

    TableClient Table => ReviewPartition.Table(storage);

    public async Task<ReviewPhase?> GetAsync(string runId, CancellationToken ct)
    {
        var row = await Table.GetEntityIfExistsAsync<TableEntity>(runId, PhaseKey, cancellationToken: ct);
        return row.HasValue ? ToPhase(row.Value!) : null;
    }

    /// <summary>Writes the sampled items and the first round's record, then opens the phase. Returns false when someone
    /// closed the phase before it opened (close is allowed early and skips review).</summary>
    public async Task<bool> OpenAsync(string runId, IReadOnlyList<ReviewItem> sample, ReviewRound first, ReviewOpening opening, CancellationToken ct)
    {
        await items.WriteAsync(runId, sample, ct);
        await rounds.WriteAsync(runId, first, ct);
        try
        {
            var phase = PhaseEntity(runId, ReviewPhaseStatus.Open, null, sample.Count, opening.MinReviewsPerItem, opening.Deadline);
            phase["MaxReviewersPerItem"] = opening.MaxReviewersPerItem;
            phase[ItemRows.CountedProperty] = true;
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
            if ((await GetAsync(runId, ct))?.Status == ReviewPhaseStatus.Open) return true;
            // Closed before it opened: the items written above must take no label either, or a label could be
            // accepted on them and never counted.
            await items.CloseAllAsync(runId, ct);
            return false;
        }
    }

    /// <summary>
    /// Adds a round's items to an open phase: the items and the round's record first, then the phase row moves to the
    /// round and its sampled count, conditional on its ETag, so a close racing this either finds the items (and closes
    /// them) or finds the phase already moved on. A phase closed meanwhile gets the new items closed too, so none takes
    /// a label that nobody reads. A round the phase already has is left as is.
    /// </summary>
    public async Task<RoundOutcome> AddRoundAsync(string runId, ReviewRound round, IReadOnlyList<ReviewItem> drawn, CancellationToken ct)
    {
        var existing = await Table.GetEntityAsync<TableEntity>(runId, PhaseKey, cancellationToken: ct);
        if (ToPhase(existing.Value) is { Status: ReviewPhaseStatus.Closed }) return RoundOutcome.PhaseClosed;
        if (ToPhase(existing.Value).Round >= round.Round) return RoundOutcome.Added;

        await items.WriteAsync(runId, drawn, ct);
        await rounds.WriteAsync(runId, round, ct);
        for (var attempt = 0; ; attempt++)
        {
            var row = attempt == 0 ? existing.Value : (await Table.GetEntityAsync<TableEntity>(runId, PhaseKey, cancellationToken: ct)).Value;
            var phase = ToPhase(row);
            if (phase.Status == ReviewPhaseStatus.Closed)
            {
                await items.CloseAllAsync(runId, ct);
                return RoundOutcome.PhaseClosed;
            }
            if (phase.Round >= round.Round) return RoundOutcome.Added;
            row["Round"] = round.Round;
            row["SampledItems"] = phase.SampledItems + drawn.Count;
            if (round.Escalation is not null) row[EscalationRoundProperty] = round.Round;
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
    public async Task SetRoundsStoppedAsync(string runId, RoundsStop stop, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            var row = (await Table.GetEntityAsync<TableEntity>(runId, PhaseKey, cancellationToken: ct)).Value;
            if (row.GetString(RoundsStoppedProperty) is not null) return;
            row[RoundsStoppedProperty] = stop.Spelling();
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

    /// <summary>
    /// Ends the phase: the first caller's reason is kept. Every item row is closed before the phase row says Closed,
    /// so once this returns no label can be added and the labels in storage are final. Before the phase opened it
    /// records an early close, which makes the run skip review.
    /// </summary>
    public async Task<ReviewClosing> CloseAsync(string runId, ReviewEnd end, CancellationToken ct)
    {
        var phaseRow = await Table.GetEntityIfExistsAsync<TableEntity>(runId, PhaseKey, cancellationToken: ct);
        if (!phaseRow.HasValue)
        {
            try
            {
                var early = PhaseEntity(runId, ReviewPhaseStatus.Closed, end, 0, 0, null);
                await Table.AddEntityAsync(early, ct);
                // The phase may be opening right now, its items already written; none of them may take a label.
                await items.CloseAllAsync(runId, ct);
                return new ReviewClosing(ToPhase(early), ClosedOpenPhase: false);
            }
            catch (RequestFailedException e) when (e.Status == 409)
            {
                // The phase opened meanwhile; close it like any open phase.
            }
        }

        await items.CloseAllAsync(runId, ct);

        for (var attempt = 0; ; attempt++)
        {
            var row = (await Table.GetEntityAsync<TableEntity>(runId, PhaseKey, cancellationToken: ct)).Value;
            if (ToPhase(row).Status == ReviewPhaseStatus.Closed) return new ReviewClosing(ToPhase(row), ClosedOpenPhase: false);
            row["Status"] = ReviewPhaseStatus.Closed.ToString();
            row["EndedBy"] = end.Spelling();
            try
            {
                await Table.UpdateEntityAsync(row, row.ETag, TableUpdateMode.Replace, ct);
                // A round being added while this closed may have written items after the first pass read the list.
                await items.CloseAllAsync(runId, ct);
                return new ReviewClosing(ToPhase(row), ClosedOpenPhase: true);
            }
            catch (RequestFailedException e) when (e.Status == 412 && attempt < TransactionAttempts)
            {
            }
        }
    }

    static TableEntity PhaseEntity(string runId, ReviewPhaseStatus status, ReviewEnd? end, int sampled, int minReviews, DateTimeOffset? deadline) =>
        new(runId, PhaseKey)
        {
            ["Status"] = status.ToString(),
            ["EndedBy"] = end?.Spelling(),
            ["SampledItems"] = sampled,
            ["MinReviewsPerItem"] = minReviews,
            ["Deadline"] = deadline,
        };

    static ReviewPhase ToPhase(TableEntity e) => new(
        Enum.Parse<ReviewPhaseStatus>(e.GetString("Status")!), e.GetString("EndedBy") is { } end ? Spellings.Parse<ReviewEnd>(end) : null,
        e.GetInt32("SampledItems") ?? 0, e.GetInt32("MinReviewsPerItem") ?? 0, e.GetDateTimeOffset("Deadline"),
        e.GetInt32("MaxReviewersPerItem") is int max and > 0 ? max : ReviewPhase.DefaultMaxReviewersPerItem,
        e.GetInt32("Round"),
        e.GetDouble("TargetCiWidth") is { } target
            ? new AdaptiveReview(target, e.GetInt32("MaxReviewSampleSize"),
                e.GetString(RoundsStoppedProperty) is { } stopped ? Spellings.Parse<RoundsStop>(stopped) : null)
            : null,
        e.GetBoolean(ItemRows.CountedProperty) == true,
        e.GetInt32(EscalationRoundProperty));
}
