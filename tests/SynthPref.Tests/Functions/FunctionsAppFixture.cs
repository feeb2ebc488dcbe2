using Grpc.Net.Client;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using SynthPref.Functions.Functions;
using SynthPref.Orchestration.Hosting;
using SynthPref.Orchestration.Runs;
using SynthPref.Orchestration.Workflow;
using SynthPref.Tests.Infrastructure;

namespace SynthPref.Tests.Functions;

/// <summary>
/// The Functions app's classes as its Program composes them, with a real <see cref="DurableTaskClient"/> on the gRPC
/// durable endpoint of a local host of their own over the shared Azurite. That host's worker runs the orchestrations;
/// the functions only see the client, as in Azure. Started once for the class (xUnit gives class fixtures no
/// collection fixture, so the first test starts it).
/// </summary>
public sealed class FunctionsAppFixture : IAsyncLifetime
{
    readonly SemaphoreSlim starting = new(1, 1);
    LocalHostProcess? host;
    GrpcChannel? channel;

    public ServiceProvider Services { get; private set; } = null!;
    public DurableTaskClient Client { get; private set; } = null!;
    public RunsFunctions Functions { get; private set; } = null!;
    public LocalHostProcess Host => host!;

    public async Task StartAsync(PipelineFixture pipeline)
    {
        await starting.WaitAsync();
        try
        {
            if (host is not null) return;
            var grpcPort = FreePort.Next();
            // A hub of its own, and no watcher: uploads in these tests start runs only through the blob function.
            // The fixture's judge sections too, so the worker can run a jury the functions start.
            var started = pipeline.CreateHost("fn" + Guid.NewGuid().ToString("N")[..10], pipeline.Llm.BaseUrl,
                new Dictionary<string, string>(PipelineFixture.JudgeSections(pipeline.Llm.BaseUrl))
                {
                    ["DurableTask__GrpcPort"] = grpcPort.ToString(),
                    ["BlobTrigger__Enabled"] = "false",
                });
            await started.StartAsync();
            channel = GrpcChannel.ForAddress($"http://127.0.0.1:{grpcPort}");
            Services = CreateServices(pipeline, channel, pipeline.Llm.BaseUrl.ToString());
            Client = Services.GetRequiredService<DurableTaskClient>();
            Functions = ActivatorUtilities.CreateInstance<RunsFunctions>(Services);
            host = started;
        }
        finally
        {
            starting.Release();
        }
    }

    /// <summary>What the Functions worker's Program registers for the handlers, with the durable client host.json would
    /// give it (its defaultVersion stamps new runs). Other judge settings make a worker whose judge is unusable.</summary>
    public ServiceProvider CreateServices(PipelineFixture pipeline, GrpcChannel durable, string? judgeEndpoint, IDictionary<string, string?>? extra = null,
        string version = OrchestrationVersions.Current)
    {
        var settings = new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = pipeline.StorageConnectionString,
            ["Llm:Provider"] = "OpenAICompatible",
            ["Llm:Endpoint"] = judgeEndpoint,
            ["Llm:Model"] = "fake-judge",
            ["Llm:BatchPollSeconds"] = "1",
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
            settings[key] = value;
        return new ServiceCollection()
            .AddLogging()
            .AddProblemDetails()
            .AddSynthPrefCore(new ConfigurationBuilder().AddInMemoryCollection(settings).Build())
            .AddDurableTaskClient(b => b.UseGrpc(durable).UseDefaultVersion(version))
            .BuildServiceProvider();
    }

    public GrpcChannel Channel => channel!;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (Services is not null) await Services.DisposeAsync();
        channel?.Dispose();
        if (host is not null) await host.DisposeAsync();
        starting.Dispose();
    }
}
