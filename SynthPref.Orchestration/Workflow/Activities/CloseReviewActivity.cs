using Microsoft.DurableTask;
using SynthPref.Orchestration.Reviews;

namespace SynthPref.Orchestration.Workflow.Activities;

/// <summary>Ends the review phase in storage (the first reason given wins) and returns that reason.</summary>
public sealed class CloseReviewActivity(ReviewStore reviews) : TaskActivity<CloseReviewRequest, string>
{
    public override async Task<string> RunAsync(TaskActivityContext context, CloseReviewRequest request) =>
        (await reviews.CloseAsync(request.RunId, request.EndedBy, CancellationToken.None)).Phase.EndedBy ?? request.EndedBy;
}
