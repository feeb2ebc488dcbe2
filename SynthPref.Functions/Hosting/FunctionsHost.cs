using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.DurableTask.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
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
        // The worker's own categories never reach host.json's filters: the host logs everything the worker sends under
        // "Function.<name>.User". So the worker holds these to Warning itself, as the local host's appsettings do: the
        // Azure SDK logs every storage request at Information (the blob extension forwards its events), and ASP.NET
        // Core's typed results log "Setting HTTP status code …" for every response (one line per review label).
        foreach (var category in new[] { "Azure.Core", "Azure.Storage", "Azure.Identity", "Microsoft.AspNetCore", "System.Net.Http.HttpClient" })
            builder.Logging.AddFilter(category, LogLevel.Warning);

        // The same registration as the local host; the Durable extension adds the orchestrator and activity
        // functions at start-up, so there are no [Function] wrappers for them.
        builder.ConfigureDurableWorker().AddTasks(r => r.AddSynthPrefTasks());
        return builder;
    }
}
