namespace SynthPref.Local.Durable;

/// <summary>Section "DurableTask". Defaults suit a developer machine; tests lower the polling interval.</summary>
public sealed class DurableBackendOptions
{
    public string HubName { get; set; } = "SynthPref";
    public int PartitionCount { get; set; } = 4;
    public double MaxQueuePollingSeconds { get; set; } = 2;
    /// <summary>Loopback port of the HTTP/2 endpoint the worker and client reach the gRPC server on; 0 picks a free one.</summary>
    public int GrpcPort { get; set; }
    public int MaxConcurrentActivities { get; set; } = 16;
    public int MaxConcurrentOrchestrations { get; set; } = 8;
}
