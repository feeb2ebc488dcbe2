using Microsoft.DurableTask;
using SynthPref.Orchestration.Reviews;

namespace SynthPref.Orchestration.Workflow.Activities;

/// <summary>Ends the review phase in storage (the first reason given wins) and returns that reason.</summary>
public sealed class CloseReviewActivity(ReviewStage reviews) : TaskActivity<CloseReviewRequest, ReviewEnd>
{
    public override Task<ReviewEnd> RunAsync(TaskActivityContext context, CloseReviewRequest request) =>
        reviews.CloseAsync(request.RunId, request.EndedBy, CancellationToken.None);
}
