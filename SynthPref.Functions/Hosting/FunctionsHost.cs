using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;
using Microsoft.DurableTask.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SynthPref.Orchestration.Hosting;

namespace SynthPref.Functions.Hosting;

/// <summary>The Functions app's composition, apart from Program so tests can inspect what it registers.</summary>
public static class FunctionsHost
{
    public static FunctionsApplicationBuilder Configure(FunctionsApplicationBuilder builder)
    {
        builder.ConfigureFunctionsWebApplication();
        // Inside the ASP.NET Core integration's own middleware, which executes the IResult this one leaves behind.
        builder.UseMiddleware<StorageProblemMiddleware>();
        builder.AddServiceDefaults("SynthPref.Functions");
        builder.Services.AddSynthPrefCore(builder.Configuration);
        builder.Services.AddHostedService<StorageInitializer>();
        // The Azure SDK logs every storage request at Information. host.json holds the Functions host's own logs to
        // Warning; these filters hold the worker's (the blob extension forwards the SDK's events into its logging).
        foreach (var category in new[] { "Azure.Core", "Azure.Storage", "Azure.Identity" })
            builder.Logging.AddFilter(category, LogLevel.Warning);

        // The same registration as the local host; the Durable extension adds the orchestrator and activity
        // functions at start-up, so there are no [Function] wrappers for them.
        builder.ConfigureDurableWorker().AddTasks(r => r.AddSynthPrefTasks());
        return builder;
    }
}
