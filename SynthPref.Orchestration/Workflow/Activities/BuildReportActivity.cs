using Microsoft.DurableTask;
using SynthPref.Orchestration.Reporting;
using SynthPref.Orchestration.Settings;

namespace SynthPref.Orchestration.Workflow.Activities;

public sealed class BuildReportActivity(ReportBuilder builder) : TaskActivity<ReportRequest, ReportOutputs>
{
    public override Task<ReportOutputs> RunAsync(TaskActivityContext context, ReportRequest request) =>
        builder.BuildAsync(new ReportInputs(request.RunId, request.Name, request.Bias, request.ReviewEndedBy,
            request.Judging.FailedItems, request.Judging.FirstFailure, request.Judging.Usage,
            (request.Settings ?? RunSettings.Unrecorded) with { TextOnlyJudges = request.Judging.TextOnlyJudges }, request.Judging.SkippedForBudget),
            CancellationToken.None);
}
