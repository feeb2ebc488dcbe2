using SynthPref.Orchestration.Workflow;

namespace SynthPref.Local.Durable;

/// <summary>Section "DurableTask". Defaults suit a developer machine; tests lower the polling interval.</summary>
public sealed class DurableBackendOptions
{
    public string HubName { get; set; } = "SynthPref";
    public int PartitionCount { get; set; } = 4;
    public double MaxQueuePollingSeconds { get; set; } = 2;
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
    public int MaxConcurrentActivities { get; set; } = 16;
    public int MaxConcurrentOrchestrations { get; set; } = 8;
    /// <summary>The orchestrator version new runs are stamped with and the newest this host runs. A deploy that
    /// changes the orchestrator's steps bumps it in code; set it lower only to start runs as an older build would.</summary>
    public string OrchestrationVersion { get; set; } = OrchestrationVersions.Current;
}
