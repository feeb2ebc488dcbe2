namespace SynthPref.Orchestration.Pairs;

/// <summary>A run's failures under the names the status, the failures route and the report all use: ItemsFailed, items
/// with at least one failed step; StepsFailed, the failed steps (each listed by the failures route); ItemsNotStarted,
/// items the run never started (its token budget was reached, or it stopped for too many failures).</summary>
public sealed record FailureCounts(int ItemsFailed, int StepsFailed, int ItemsNotStarted)
{
    public bool Any => ItemsFailed + StepsFailed + ItemsNotStarted > 0;
}
