using Microsoft.DurableTask;
using SynthPref.Orchestration.Audit;
using SynthPref.Orchestration.Pairs;

namespace SynthPref.Orchestration.Workflow.Activities;

public sealed class AuditPairsActivity(PairStore pairs) : TaskActivity<string, BiasReport>
{
    public override Task<BiasReport> RunAsync(TaskActivityContext context, string runId) =>
        BiasAuditor.AuditAsync(pairs.ReadAllAsync(runId, CancellationToken.None), CancellationToken.None);
}
