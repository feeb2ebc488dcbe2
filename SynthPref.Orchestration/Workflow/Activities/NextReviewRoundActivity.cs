using Microsoft.DurableTask;
using SynthPref.Orchestration.Pairs;
using SynthPref.Orchestration.Reviews;
using SynthPref.Orchestration.Sampling;

namespace SynthPref.Orchestration.Workflow.Activities;

/// <summary>
/// Adaptive review, one step: with every item of the rounds so far labelled by its reviewers, works out each category's
/// judge–human agreement from the labels in storage and draws the next round for the categories whose 95% Wilson
/// interval is still wider than the target, writing its items to the review partition. Labels never travel through
/// the orchestration; it learns only how many items were added. Items of a round that a failed attempt had begun to
/// write are ignored here, so a retry plans and draws exactly the same round.
/// </summary>
public sealed class NextReviewRoundActivity(PairStore pairs, ReviewStore reviews) : TaskActivity<NextReviewRoundRequest, ReviewRoundResult>
{
    public override async Task<ReviewRoundResult> RunAsync(TaskActivityContext context, NextReviewRoundRequest request)
    {
        var ct = CancellationToken.None;
        var next = request.Round + 1;
        var phase = await reviews.GetPhaseAsync(request.RunId, ct);
        var allItems = await reviews.ListItemsAsync(request.RunId, ct);
        if (phase is null || phase.Status == ReviewPhaseStatus.Closed)
            return new ReviewRoundResult(true, request.Round, 0, allItems.Count, null);
        if (phase.Round >= next)
        {
            // This round was added by an attempt whose answer was lost; answer as it would have.
            var added = allItems.Count(i => i.Round == next);
            return new ReviewRoundResult(true, next, added, allItems.Count(i => i.Round <= next), null);
        }

        var items = allItems.Where(i => i.Round <= request.Round).ToList();
        var minReviews = Math.Max(1, request.MinReviewsPerItem);
        if (items.Any(i => i.Reviewers < minReviews))
            return new ReviewRoundResult(false, request.Round, 0, items.Count, null);

        var stored = await pairs.ListAsync(request.RunId, ct);
        var byId = stored.ToDictionary(p => p.PairId);
        var itemsById = items.ToDictionary(i => i.ItemId);
        var labels = (await reviews.ListLabelsAsync(request.RunId, ct)).Where(l => itemsById.ContainsKey(l.ItemId)).ToList();
        var sampled = items.Select(i => i.PairId).ToHashSet(StringComparer.Ordinal);
        var remaining = ReviewSample.Candidates(stored).Where(c => !sampled.Contains(c.PairId))
            .GroupBy(c => c.Category, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        // Every category a reviewer could be asked about, voted on or not, as the report's byCategory counts votes.
        var tallies = ReviewSample.Candidates(stored).Select(c => c.Category).Distinct(StringComparer.Ordinal).Select(category =>
        {
            var votes = labels.Where(l => byId[itemsById[l.ItemId].PairId].Category == category).Select(l =>
            {
                var item = itemsById[l.ItemId];
                return ReviewStore.ToPairPreference(l.Label, item.Flipped) == byId[item.PairId].Verdict;
            }).ToList();
            return new CategoryTally(category, votes.Count, votes.Count(agree => agree), remaining.GetValueOrDefault(category));
        }).ToList();

        var capLeft = request.MaxReviewSampleSize is { } max ? max - items.Count : (int?)null;
        var plan = ReviewRounds.Plan(tallies, request.TargetCiWidth, minReviews, capLeft);
        if (plan.StoppedBy is { } stopped)
        {
            await reviews.SetRoundsStoppedAsync(request.RunId, stopped, ct);
            return new ReviewRoundResult(true, request.Round, 0, items.Count, stopped);
        }

        var drawn = ReviewSample.DrawMore(request.RunId, stored, sampled, plan.Quotas, request.Seed, next);
        var record = ReviewStore.RoundOf(next, drawn, plan.WiderThanTarget, item => byId[item.PairId].Category);
        return await reviews.AddRoundAsync(request.RunId, record, drawn, ct) == RoundOutcome.Added
            ? new ReviewRoundResult(true, next, drawn.Count, items.Count + drawn.Count, null)
            : new ReviewRoundResult(true, request.Round, 0, items.Count, null);
    }
}
