using System.Net;
using System.Net.Sockets;
using DurableTask.AzureStorage;
using DurableTask.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Testing.Sidecar.Grpc;
using Microsoft.DurableTask.Worker;
using SynthPref.Local.Durable;
using SynthPref.Orchestration.Health;
using SynthPref.Orchestration.Hosting;
using SynthPref.Orchestration.Llm;
using SynthPref.Orchestration.Runs;
using SynthPref.Orchestration.Workflow;

namespace SynthPref.Local.Extensions;

/// <summary>The loopback port the durable gRPC server listens on.</summary>
public sealed record GrpcEndpoint(int Port);

public static class DurableBackendExtensions
{
    /// <summary>
    /// Durable Task over Azure Storage (the layout Durable Functions uses), served by TaskHubGrpcServer on a
    /// loopback HTTP/2 endpoint of this same Kestrel app; the worker and client connect to it over gRPC.
    /// </summary>
    public static WebApplicationBuilder AddDurableBackend(this WebApplicationBuilder builder, int grpcPort)
    {
        var options = builder.Configuration.GetSection("DurableTask").Get<DurableBackendOptions>() ?? new();
        if (options.MaxConcurrentActivities <= 0)
            options.MaxConcurrentActivities = DurableBackendOptions.ActivitiesFor(
                builder.Configuration.GetSection(LlmOptions.SectionName).Get<LlmOptions>()?.MaxConcurrency ?? new LlmOptions().MaxConcurrency,
                builder.Configuration.GetSection(JudgingOptions.SectionName).Get<JudgingOptions>()?.Window ?? 0);
        builder.Services.AddSingleton(new GrpcEndpoint(grpcPort));
        var connectionString = builder.Configuration["AzureWebJobsStorage"] is { Length: > 0 } cs ? cs : "UseDevelopmentStorage=true";

        var service = new AzureStorageOrchestrationService(new AzureStorageOrchestrationServiceSettings
        {
            StorageAccountClientProvider = new StorageAccountClientProvider(connectionString),
            TaskHubName = options.HubName,
            // The backend names a worker by its machine by default; two hosts on one machine would then share
            // partition leases as if they were one, and neither could tell its work from the other's.
            WorkerId = $"{Environment.MachineName}-{Environment.ProcessId}",
            PartitionCount = options.PartitionCount,
            MaxQueuePollingInterval = TimeSpan.FromSeconds(options.MaxQueuePollingSeconds),
            WorkItemQueueVisibilityTimeout = TimeSpan.FromSeconds(options.VisibilityTimeoutSeconds),
            ControlQueueVisibilityTimeout = TimeSpan.FromSeconds(options.VisibilityTimeoutSeconds),
            LeaseInterval = TimeSpan.FromSeconds(options.LeaseSeconds),
            LeaseRenewInterval = TimeSpan.FromSeconds(Math.Max(1, options.LeaseSeconds / 3)),
            LeaseAcquireInterval = TimeSpan.FromSeconds(Math.Max(1, options.LeaseSeconds / 3)),
            MaxConcurrentTaskActivityWorkItems = options.MaxConcurrentActivities,
            MaxConcurrentTaskOrchestrationWorkItems = options.MaxConcurrentOrchestrations,
        });
        builder.Services.AddSingleton(service);
        // Activity locks are renewed while the activity runs (the gRPC server never does it), so the
        // visibility timeout only decides how soon a crashed host's work is picked up again.
        builder.Services.AddSingleton<IOrchestrationService>(sp => new LockRenewingOrchestrationService(service,
            TimeSpan.FromSeconds(options.VisibilityTimeoutSeconds), sp.GetRequiredService<ILogger<LockRenewingOrchestrationService>>()));
        builder.Services.AddSingleton<IOrchestrationServiceClient>(service);
        builder.Services.AddSingleton<WorkerConnection>();
        builder.Services.AddSingleton<IDurableWorkerSignal>(sp => sp.GetRequiredService<WorkerConnection>());
        builder.Services.AddGrpc(o => o.MaxReceiveMessageSize = null);
        builder.Services.AddSingleton<ObservedTaskHubGrpcServer>();

        var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{grpcPort}", new GrpcChannelOptions
        {
            MaxReceiveMessageSize = null,
            MaxSendMessageSize = null,
        });
        // As host.json does for Functions: new runs are stamped with this build's orchestrator version, and the
        // worker takes runs of that version or older. A newer run is left for a newer worker, not failed.
        var version = options.OrchestrationVersion;
        builder.Services.AddDurableTaskWorker(b =>
        {
            b.AddTasks(r => r.AddSynthPrefTasks());
            b.UseGrpc(channel);
            b.UseVersioning(new DurableTaskWorkerOptions.VersioningOptions
            {
                Version = version,
                DefaultVersion = version,
                MatchStrategy = DurableTaskWorkerOptions.VersionMatchStrategy.CurrentOrOlder,
                FailureStrategy = DurableTaskWorkerOptions.VersionFailureStrategy.Reject,
            });
            b.Configure(o =>
            {
                o.Concurrency.MaximumConcurrentActivityWorkItems = options.MaxConcurrentActivities;
                o.Concurrency.MaximumConcurrentOrchestrationWorkItems = options.MaxConcurrentOrchestrations;
            });
        });
        builder.Services.AddDurableTaskClient(b =>
        {
            b.UseGrpc(channel);
            b.UseDefaultVersion(version);
        });
        return builder;
    }

    /// <summary>The task hub's queues, tables and containers; the gRPC server never creates them itself.</summary>
    public static async Task EnsureTaskHubAsync(this WebApplication app) =>
        await app.Services.GetRequiredService<AzureStorageOrchestrationService>().CreateIfNotExistsAsync();

    public static int GrpcPortOf(WebApplication app) => app.Services.GetRequiredService<GrpcEndpoint>().Port;

    public static int ResolveGrpcPort(IConfiguration configuration)
    {
        var configured = configuration.GetValue<int?>("DurableTask:GrpcPort") ?? 0;
        if (configured > 0) return configured;
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    public static void ListenForGrpc(this KestrelServerOptions kestrel, int grpcPort) =>
        kestrel.Listen(IPAddress.Loopback, grpcPort, listen => listen.Protocols = HttpProtocols.Http2);
}
