using Microsoft.DurableTask;
using SynthPref.Orchestration.Workflow;
using SynthPref.Orchestration.Workflow.Activities;

namespace SynthPref.Orchestration.Hosting;

public static class DurableTaskRegistryExtensions
{
    /// <summary>The one registration both hosts use, so task names cannot drift between them.</summary>
    public static DurableTaskRegistry AddSynthPrefTasks(this DurableTaskRegistry registry) => registry
        .AddOrchestrator<RunOrchestrator>()
        .AddActivity<LoadInputActivity>()
        .AddActivity<ProcessItemsActivity>()
        .AddActivity<CollectBatchRequestsActivity>()
        .AddActivity<SubmitBatchesActivity>()
        .AddActivity<CheckBatchesActivity>()
        .AddActivity<CancelBatchesActivity>()
        .AddActivity<IngestBatchesActivity>()
        .AddActivity<RecordItemFailureActivity>()
        .AddActivity<AuditPairsActivity>()
        .AddActivity<OpenReviewActivity>()
        .AddActivity<CloseReviewActivity>()
        .AddActivity<NextReviewRoundActivity>()
        .AddActivity<EscalateReviewActivity>()
        .AddActivity<BuildReportActivity>();
}
