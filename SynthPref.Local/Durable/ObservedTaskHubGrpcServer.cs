using Grpc.Core;
using Microsoft.DurableTask.Testing.Sidecar.Grpc;
using P = Microsoft.DurableTask.Protobuf;

namespace SynthPref.Local.Durable;

/// <summary>Tracks whether the worker's work-item stream is open, which is what "healthy" means here.</summary>
public sealed class WorkerConnection
{
    int streams;
    public bool IsConnected => Volatile.Read(ref streams) > 0;
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
