using System.Collections.Concurrent;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Testing.Sidecar;
using Microsoft.DurableTask.Testing.Sidecar.Grpc;
using Microsoft.DurableTask.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using P = Microsoft.DurableTask.Protobuf;

namespace SynthPref.Tests.Workflow;

/// <summary>
/// The in-memory durable backend's gRPC server, keeping each orchestrator work item it hands the worker (the history
/// the worker replays) and each answer it gets back, so a test can keep a run's history and replay it later.
/// </summary>
public sealed class RecordingTaskHubGrpcServer(
    IHostApplicationLifetime lifetime,
    ILoggerFactory loggerFactory,
    DurableTask.Core.IOrchestrationService service,
    DurableTask.Core.IOrchestrationServiceClient client,
    IOptions<TaskHubGrpcServerOptions> options)
    : TaskHubGrpcServer(lifetime, loggerFactory, service, client, options)
{
    public ConcurrentQueue<(P.OrchestratorRequest Request, P.OrchestratorResponse? Response)> Turns { get; } = new();
    readonly ConcurrentDictionary<string, P.OrchestratorRequest> pending = new();

    public override Task GetWorkItems(P.GetWorkItemsRequest request, IServerStreamWriter<P.WorkItem> responseStream, ServerCallContext context) =>
        base.GetWorkItems(request, new Recorder(responseStream, this), context);

    public override Task<P.CompleteTaskResponse> CompleteOrchestratorTask(P.OrchestratorResponse request, ServerCallContext context)
    {
        if (pending.TryRemove(request.InstanceId, out var turn))
            Turns.Enqueue((turn, request.Clone()));
        return base.CompleteOrchestratorTask(request, context);
    }

    sealed class Recorder(IServerStreamWriter<P.WorkItem> inner, RecordingTaskHubGrpcServer server) : IServerStreamWriter<P.WorkItem>
    {
        public WriteOptions? WriteOptions { get => inner.WriteOptions; set => inner.WriteOptions = value; }

        public Task WriteAsync(P.WorkItem message)
        {
            if (message.OrchestratorRequest is { } request)
                server.pending[request.InstanceId] = request.Clone();
            return inner.WriteAsync(message);
        }
    }

    /// <summary>The sidecar and a worker and client connected to it, as DurableTaskTestHost sets them up, with this
    /// server in the middle.</summary>
    public static async Task<(WebApplication Sidecar, IHost Worker, RecordingTaskHubGrpcServer Server)> StartAsync(int port, Action<DurableTaskRegistry> tasks)
    {
        var sidecar = WebApplication.CreateSlimBuilder();
        sidecar.Logging.ClearProviders();
        sidecar.WebHost.ConfigureKestrel(k => k.ListenLocalhost(port, l => l.Protocols = HttpProtocols.Http2));
        var orchestrations = new InMemoryOrchestrationService();
        sidecar.Services.AddGrpc();
        sidecar.Services.AddSingleton<DurableTask.Core.IOrchestrationService>(orchestrations);
        sidecar.Services.AddSingleton<DurableTask.Core.IOrchestrationServiceClient>(orchestrations);
        sidecar.Services.AddSingleton<RecordingTaskHubGrpcServer>();
        var app = sidecar.Build();
        app.MapGrpcService<RecordingTaskHubGrpcServer>();
        await app.StartAsync();

        var channel = Grpc.Net.Client.GrpcChannel.ForAddress($"http://localhost:{port}");
        var worker = Host.CreateDefaultBuilder()
            .ConfigureLogging(l => l.ClearProviders())
            .ConfigureServices(services =>
            {
                services.AddDurableTaskWorker(b => b.UseGrpc(channel).AddTasks(tasks));
                services.AddSingleton<IExceptionPropertiesProvider, SynthPref.Orchestration.Workflow.FailureProperties>();
                services.AddDurableTaskClient(b => b.UseGrpc(channel).RegisterDirectly());
            })
            .Build();
        await worker.StartAsync();
        return (app, worker, app.Services.GetRequiredService<RecordingTaskHubGrpcServer>());
    }
}
