using Microsoft.DurableTask;
using SynthPref.Orchestration.Pairs;
using SynthPref.Orchestration.Reviews;
using SynthPref.Orchestration.Sampling;
using SynthPref.Orchestration.Trust;
using SynthPref.Orchestration.Settings;

namespace SynthPref.Orchestration.Workflow.Activities;

/// <summary>
/// Escalation to people: once the last ordinary review round has its reviewers, works out the trust threshold from the
/// labels in storage and adds one more round to the same review phase, made of the escalated pairs no reviewer has
/// labelled, most trust points first (ties by pair id), up to maxEscalatedReviews. Reviewers see it on the same page,
/// under the same rules and deadline. The round is marked in storage as the escalation round, so its items are never
/// taken for calibration items. A retry after the round was written answers as the first attempt did.
/// </summary>
public sealed class EscalateReviewActivity(PairStore pairs, ReviewStore reviews) : TaskActivity<EscalationRequest, ReviewRoundResult>
{
    /// <summary>Why no escalation round was drawn: every escalated pair already has a label (or none is escalated).</summary>
    public const string NothingToEscalate = "nothing-to-escalate";

    public override async Task<ReviewRoundResult> RunAsync(TaskActivityContext context, EscalationRequest request)
    {
        var ct = CancellationToken.None;
        var next = request.Round + 1;
        var phase = await reviews.GetPhaseAsync(request.RunId, ct);
        var allItems = await reviews.ListItemsAsync(request.RunId, ct);
        if (phase is null || phase.Status == ReviewPhaseStatus.Closed)
            return new ReviewRoundResult(true, request.Round, 0, allItems.Count, null);
        if (phase.Round >= next)
            return new ReviewRoundResult(true, next, allItems.Count(i => i.Round == next), allItems.Count(i => i.Round <= next), null);

        var items = allItems.Where(i => i.Round <= request.Round).ToList();
        var minReviews = Math.Max(1, request.MinReviewsPerItem);
        if (items.Any(i => i.Reviewers < minReviews))
            return new ReviewRoundResult(false, request.Round, 0, items.Count, null);

        var stored = await pairs.ListAsync(request.RunId, ct);
        var itemsById = items.ToDictionary(i => i.ItemId, StringComparer.Ordinal);
        var labels = (await reviews.ListLabelsAsync(request.RunId, ct)).Where(l => itemsById.ContainsKey(l.ItemId)).ToList();
        var reviewed = TrustCalibration.Reviewed(stored, items, labels);
        var threshold = TrustCalibration.ThresholdOf(stored, reviewed, request.TrustTarget, request.TrustAlpha);
        // A sampled pair already has an item (and so its reviewers); a pair is never drawn twice.
        var taken = items.Select(i => i.PairId).ToHashSet(StringComparer.Ordinal);
        var candidates = TrustCalibration.EscalationCandidates(stored, threshold, taken);
        if (candidates.Count == 0)
            return new ReviewRoundResult(true, request.Round, 0, items.Count, NothingToEscalate);

        var chosen = candidates.Take(Math.Max(1, request.MaxEscalatedReviews)).Select(p => p.PairId).ToList();
        var drawn = ReviewSample.Items(request.RunId, chosen, request.Seed, next);
        var categoryOf = stored.ToDictionary(p => p.PairId, p => p.Category, StringComparer.Ordinal);
        var record = ReviewStore.RoundOf(next, drawn, null, item => categoryOf[item.PairId],
            new EscalationDraw(threshold, candidates.Count, drawn.Count));
        return await reviews.AddRoundAsync(request.RunId, record, drawn, ct) == RoundOutcome.Added
            ? new ReviewRoundResult(true, next, drawn.Count, items.Count + drawn.Count, null)
            : new ReviewRoundResult(true, request.Round, 0, items.Count, null);
    }
}
