using Microsoft.DurableTask;
using SynthPref.Orchestration.Agreement;
using SynthPref.Orchestration.Reviews;

namespace SynthPref.Orchestration.Workflow.Activities;

/// <summary>
/// Adaptive review, one step: with every item of the rounds so far labelled by its reviewers, tallies each category's
/// judge–human agreement from the labels in storage, with the report's own join and tally, and draws the next round
/// for the categories whose 95% Wilson interval is still wider than the target. Labels never travel through the
/// orchestration; it learns only how many items were added. Composed here, where every stage may be used: the review
/// stage comes before agreement, so it plans from the tally it is given.
/// </summary>
public sealed class NextReviewRoundActivity(ReviewStage reviews) : TaskActivity<NextReviewRoundRequest, ReviewRoundResult>
{
    public override async Task<ReviewRoundResult> RunAsync(TaskActivityContext context, NextReviewRoundRequest request)
    {
        var ct = CancellationToken.None;
        var sofar = await reviews.ReadRoundsAsync(request.RunId, request.Round, request.MinReviewsPerItem, ct);
        if (sofar.Answer is { } answer) return answer;

        var byCategory = AgreementCalculator.ByCategory(AgreementCalculator.VotesOf(sofar.Reviewed.Labels));
        // Every category a reviewer could be asked about, voted on or not, as the report's byCategory counts votes.
        var tallies = sofar.Unsampled.Select(c => byCategory.TryGetValue(c.Key, out var stats)
            ? new CategoryTally(c.Key, stats.Votes, stats.Agree, c.Value)
            : new CategoryTally(c.Key, 0, 0, c.Value)).ToList();
        var capLeft = request.MaxReviewSampleSize is { } max ? max - sofar.Items.Count : (int?)null;
        var plan = ReviewRounds.Plan(tallies, request.TargetCiWidth, Math.Max(1, request.MinReviewsPerItem), capLeft);
        return await reviews.DrawRoundAsync(sofar, plan, request.Seed, ct);
    }
}
