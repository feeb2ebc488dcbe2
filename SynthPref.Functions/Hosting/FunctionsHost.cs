using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.DurableTask.Worker;
using Microsoft.Extensions.DependencyInjection;
using SynthPref.Orchestration.Hosting;

namespace SynthPref.Functions.Hosting;

/// <summary>The Functions app's composition, apart from Program so tests can inspect what it registers.</summary>
public static class FunctionsHost
{
    public static FunctionsApplicationBuilder Configure(FunctionsApplicationBuilder builder)
    {
        builder.ConfigureFunctionsWebApplication();
        builder.Services.AddProblemDetails();
        builder.Services.AddSynthPrefCore(builder.Configuration);
        builder.Services.AddLlmTelemetry(builder.Configuration);
        builder.Services.AddSingleton<StorageReadiness>();
        builder.Services.AddHostedService<StorageInitializer>();

        // The same registration as the local host; the Durable extension adds the orchestrator and activity
        // functions at start-up, so there are no [Function] wrappers for them.
        builder.ConfigureDurableWorker().AddTasks(r => r.AddSynthPrefTasks());
        return builder;
    }
}
