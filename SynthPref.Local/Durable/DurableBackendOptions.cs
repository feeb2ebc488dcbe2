using SynthPref.Orchestration.Runs;
using SynthPref.Orchestration.Workflow;

namespace SynthPref.Local.Durable;

/// <summary>Section "DurableTask". The defaults are the settings the benchmark measures: an idle queue's polling backs off
/// to 1 s at most (Durable Task's default here was 2 s, and every lane's completion can wait that long), and the activity
/// slots follow the LLM concurrency. Tests lower the polling interval further.</summary>
public sealed class DurableBackendOptions
{
    public string HubName { get; set; } = "SynthPref";
    public int PartitionCount { get; set; } = 4;
    public double MaxQueuePollingSeconds { get; set; } = DefaultMaxQueuePollingSeconds;

    /// <summary>Functions' host.json sets the same (<c>storageProvider.maxQueuePollingInterval</c>).</summary>
    public const double DefaultMaxQueuePollingSeconds = 1;
    /// <summary>Loopback port of the HTTP/2 endpoint the worker and client reach the gRPC server on; 0 picks a free one.</summary>
    public int GrpcPort { get; set; }
    /// <summary>
    /// How long a dequeued message stays hidden. A running activity's lock is renewed every third of it
    /// (<see cref="LockRenewingOrchestrationService"/>), so an activity may take longer than this; what it decides is
    /// how soon the work of a crashed host, whose locks are no longer renewed, is picked up again.
    /// </summary>
    public double VisibilityTimeoutSeconds { get; set; } = 60;
    /// <summary>How soon another (or a restarted) host may take over a crashed host's partitions.</summary>
    public double LeaseSeconds { get; set; } = 30;
    /// <summary>Activity work items in flight; 0 (the default) follows <see cref="ActivitiesFor"/>.</summary>
    public int MaxConcurrentActivities { get; set; }

    /// <summary>
    /// The activity slots a host needs so no judging lane waits for one: the widest window its LLM concurrency gives (one
    /// call per item, 1.5 × <c>Llm:MaxConcurrency</c>, or a fixed <c>Judging:Window</c>). Every other activity of a run
    /// runs alone, between the lanes.
    /// </summary>
    public static int ActivitiesFor(int llmConcurrency, int window) =>
        new JudgingLimits(window, llmConcurrency, 1, 1).WindowFor(swapPositions: false, critiqueRevise: false);
    public int MaxConcurrentOrchestrations { get; set; } = 8;
    /// <summary>The orchestrator version new runs are stamped with and the newest this host runs. A deploy that
    /// changes the orchestrator's steps bumps it in code; set it lower only to start runs as an older build would.</summary>
    public string OrchestrationVersion { get; set; } = OrchestrationVersions.Current;
}
