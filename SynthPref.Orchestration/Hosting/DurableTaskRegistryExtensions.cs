using Microsoft.DurableTask;
using SynthPref.Orchestration.Audit;
using SynthPref.Orchestration.Generation;
using SynthPref.Orchestration.Input;
using SynthPref.Orchestration.Judging;
using SynthPref.Orchestration.Reporting;
using SynthPref.Orchestration.Revision;
using SynthPref.Orchestration.Runs;
using SynthPref.Orchestration.Sampling;

namespace SynthPref.Orchestration.Hosting;

public static class DurableTaskRegistryExtensions
{
    /// <summary>The one registration both hosts use, so task names cannot drift between them.</summary>
    public static DurableTaskRegistry AddSynthPrefTasks(this DurableTaskRegistry registry) => registry
        .AddOrchestrator<RunOrchestrator>()
        .AddActivity<LoadInputActivity>()
        .AddActivity<GenerateResponsesActivity>()
        .AddActivity<JudgePairActivity>()
        .AddActivity<CritiqueReviseActivity>()
        .AddActivity<AuditPairsActivity>()
        .AddActivity<DrawSampleActivity>()
        .AddActivity<BuildReportActivity>();
}
