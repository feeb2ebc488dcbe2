using Grpc.Core;
using Microsoft.DurableTask.Testing.Sidecar.Grpc;
using SynthPref.Orchestration.Health;
using P = Microsoft.DurableTask.Protobuf;

namespace SynthPref.Local.Durable;

/// <summary>Tracks whether the worker's work-item stream is open: the local host's own part of the durable health check.</summary>
public sealed class WorkerConnection : IDurableWorkerSignal
{
    int streams;
    public bool IsConnected => Volatile.Read(ref streams) > 0;
    public string? Problem => IsConnected ? null : "The durable worker has not connected to the task hub's gRPC server yet.";
    internal void Opened() => Interlocked.Increment(ref streams);
    internal void Closed() => Interlocked.Decrement(ref streams);
}

public sealed class ObservedTaskHubGrpcServer(
    IHostApplicationLifetime lifetime,
    ILoggerFactory loggerFactory,
    DurableTask.Core.IOrchestrationService service,
    DurableTask.Core.IOrchestrationServiceClient client,
    Microsoft.Extensions.Options.IOptions<TaskHubGrpcServerOptions> options,
    WorkerConnection connection)
    : TaskHubGrpcServer(lifetime, loggerFactory, service, client, options)
{
    public override async Task GetWorkItems(P.GetWorkItemsRequest request, IServerStreamWriter<P.WorkItem> responseStream, ServerCallContext context)
    {
        connection.Opened();
        try
        {
            await base.GetWorkItems(request, responseStream, context);
        }
        finally
        {
            connection.Closed();
        }
    }
}
