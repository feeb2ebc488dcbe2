using Microsoft.DurableTask;
using SynthPref.Orchestration.Pairs;
using SynthPref.Orchestration.Reviews;
using SynthPref.Orchestration.Settings;

namespace SynthPref.Orchestration.Workflow.Activities;

/// <summary>Draws the seeded review sample and opens the phase in storage, where labels are checked against it.</summary>
public sealed class OpenReviewActivity(ReviewStage reviews) : TaskActivity<OpenReviewRequest, ReviewOpened>
{
    public override Task<ReviewOpened> RunAsync(TaskActivityContext context, OpenReviewRequest request) =>
        reviews.OpenAsync(request.RunId, request.SampleSize, request.Seed, new ReviewOpening(
            request.MinReviewsPerItem,
            new DateTimeOffset(request.Deadline, TimeSpan.Zero),
            request.MaxReviewersPerItem > 0 ? request.MaxReviewersPerItem : ReviewPhase.DefaultMaxReviewersPerItem,
            request.Rounds,
            request.TargetCiWidth is { } target ? new AdaptiveReview(target, request.MaxReviewSampleSize, null) : null), CancellationToken.None);
}
