using Microsoft.DurableTask;
using SynthPref.Orchestration.Reviews;
using SynthPref.Orchestration.Settings;
using SynthPref.Orchestration.Trust;

namespace SynthPref.Orchestration.Workflow.Activities;

/// <summary>
/// Escalation to people: once the last ordinary review round has its reviewers, works out the trust threshold from the
/// labels in storage and adds one more round to the same review phase, made of the escalated pairs no reviewer has
/// labelled, most trust points first (ties by pair id), up to maxEscalatedReviews. Reviewers see it on the same page,
/// under the same rules and deadline. A retry after the round was written answers as the first attempt did. Composed
/// here: trust comes after review, so the review stage draws the pairs it is given.
/// </summary>
public sealed class EscalateReviewActivity(ReviewStage reviews) : TaskActivity<EscalationRequest, ReviewRoundResult>
{
    public override async Task<ReviewRoundResult> RunAsync(TaskActivityContext context, EscalationRequest request)
    {
        var ct = CancellationToken.None;
        var keep = Math.Max(1, request.MaxEscalatedReviews);
        var tally = new EscalationTally(keep);
        // A sampled pair already has an item (and so its reviewers); a pair is never drawn twice.
        var sofar = await reviews.ReadRoundsAsync(request.RunId, request.Round, request.MinReviewsPerItem, ct, tally.Add);
        if (sofar.Answer is { } answer) return answer;

        var threshold = TrustCalibration.ThresholdOf(tally.DecisivePoints, sofar.Reviewed.Pairs, request.TrustTarget, request.TrustAlpha);
        var (count, first) = tally.Candidates(threshold);
        return await reviews.DrawEscalationRoundAsync(sofar, first, count, threshold, request.MaxEscalatedReviews, request.Seed, ct);
    }
}
