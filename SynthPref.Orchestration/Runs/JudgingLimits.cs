using Microsoft.Extensions.Configuration;

namespace SynthPref.Orchestration.Runs;

/// <summary>Section "Judging": how many items a run keeps in flight, and how many it judges per execution (then it continues as new with a fresh history).</summary>
public sealed class JudgingOptions
{
    public const string SectionName = "Judging";

    /// <summary>Items in flight per run; 0 follows the LLM concurrency (see <see cref="JudgingLimits.WindowFor"/>).</summary>
    public int Window { get; set; }

    /// <summary>Items one lane (one activity) works through, one after another. More divides the durable overhead per
    /// item further; fewer keeps one activity short (its worst case is this many items' worst cases).</summary>
    public int ItemsPerActivity { get; set; } = 8;

    /// <summary>Items judged before the orchestration continues as new with a fresh history (configured as
    /// <c>Judging:ItemsPerGeneration</c>, the name hosts already use). Larger means fewer
    /// drains of the window, smaller means cheaper replays.</summary>
    [ConfigurationKeyName("ItemsPerGeneration")]
    public int ItemsPerExecution { get; set; } = 1000;
}

/// <summary>The judging limits a run is started with: its window, lane length and items per execution.</summary>
public sealed record JudgingLimits(int Window, int LlmConcurrency, int ItemsPerActivity, int ItemsPerExecution)
{
    /// <summary>
    /// A fixed window, or one that follows the LLM concurrency: enough items in flight that every concurrency slot is
    /// busy with half as many calls again queued behind them, so a finished call's slot never waits for the next item.
    /// An item runs its judge calls (two with swap) and its critique side by side.
    /// </summary>
    public int WindowFor(bool swapPositions, bool critiqueRevise)
    {
        if (Window > 0) return Window;
        var callsPerItem = (swapPositions ? 2 : 1) + (critiqueRevise ? 1 : 0);
        return Math.Max(1, (int)Math.Ceiling(1.5 * LlmConcurrency / callsPerItem));
    }
}
