using Microsoft.DurableTask;
using SynthPref.Orchestration.Settings;
using SynthPref.Orchestration.Pairs;
using SynthPref.Orchestration.Reviews;
using SynthPref.Orchestration.Sampling;

namespace SynthPref.Orchestration.Workflow.Activities;

/// <summary>Draws the seeded review sample and opens the phase in storage, where labels are checked against it.</summary>
public sealed class OpenReviewActivity(PairStore pairs, ReviewStore reviews) : TaskActivity<OpenReviewRequest, ReviewOpened>
{
    public override async Task<ReviewOpened> RunAsync(TaskActivityContext context, OpenReviewRequest request)
    {
        var stored = await pairs.ListAsync(request.RunId, CancellationToken.None);
        var sample = ReviewSample.Draw(request.RunId, stored, request.SampleSize, request.Seed);
        if (sample.Count == 0)
        {
            await reviews.CloseAsync(request.RunId, "nothing-to-review", CancellationToken.None);
            return new ReviewOpened(0, ClosedEarly: false);
        }
        var categoryOf = stored.ToDictionary(p => p.PairId, p => p.Category);
        var opened = await reviews.OpenAsync(request.RunId, sample, new ReviewOpening(
            request.MinReviewsPerItem,
            new DateTimeOffset(request.Deadline, TimeSpan.Zero),
            request.MaxReviewersPerItem > 0 ? request.MaxReviewersPerItem : RunSettings.DefaultMaxReviewersPerItem,
            request.Rounds,
            request.TargetCiWidth is { } target ? new AdaptiveReview(target, request.MaxReviewSampleSize, null) : null,
            ReviewStore.RoundOf(1, sample, null, item => categoryOf[item.PairId])), CancellationToken.None);
        return new ReviewOpened(sample.Count, ClosedEarly: !opened);
    }
}
