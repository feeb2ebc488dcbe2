using Microsoft.DurableTask;
using SynthPref.Orchestration.Audit;
using SynthPref.Orchestration.Pairs;

namespace SynthPref.Orchestration.Workflow.Activities;

public sealed class AuditPairsActivity(PairStore pairs) : TaskActivity<string, BiasReport>
{
    public override async Task<BiasReport> RunAsync(TaskActivityContext context, string runId) =>
        BiasAuditor.Audit(await pairs.ListAsync(runId, CancellationToken.None));
}
