using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.DurableTask.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SynthPref.Functions.Hosting;
using SynthPref.Orchestration.Hosting;

var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();

builder.Services.AddProblemDetails();
builder.Services.AddSynthPrefCore(builder.Configuration);
builder.Services.AddSingleton<StorageReadiness>();
builder.Services.AddHostedService<StorageInitializer>();

// The same registration as the local host; the Durable extension adds the orchestrator and activity functions
// at start-up, so there are no [Function] wrappers for them.
builder.ConfigureDurableWorker().AddTasks(FunctionsTaskRegistration.Configure);

builder.Build().Run();
