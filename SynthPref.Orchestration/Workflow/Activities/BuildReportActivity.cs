using Microsoft.DurableTask;
using SynthPref.Orchestration.Reporting;

namespace SynthPref.Orchestration.Workflow.Activities;

public sealed class BuildReportActivity(ReportBuilder builder) : TaskActivity<ReportRequest, ReportOutputs>
{
    public override Task<ReportOutputs> RunAsync(TaskActivityContext context, ReportRequest request) =>
        builder.BuildAsync(new ReportInputs(request.RunId, request.Name, request.Bias, request.ReviewEndedBy,
            request.Judging.FailedItems, request.Judging.FirstFailure, request.Judging.Usage, request.Shape), CancellationToken.None);
}
