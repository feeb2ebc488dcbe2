using SynthPref.Local.Durable;
using SynthPref.Local.Extensions;
using SynthPref.Local.Triggers;
using SynthPref.Orchestration.Api;
using SynthPref.Orchestration.Hosting;
using SynthPref.Orchestration.Storage;

var builder = WebApplication.CreateBuilder(args);
var grpcPort = DurableBackendExtensions.ResolveGrpcPort(builder.Configuration);

builder.ListenOnApiUrls(grpcPort);
builder.Services.AddProblemDetails();
builder.Services.AddSynthPrefCore(builder.Configuration);
builder.AddDurableBackend(grpcPort);
builder.Services.AddHostedService<BlobInputWatcher>();

var app = builder.Build();
await app.EnsureTaskHubAsync();
await app.Services.GetRequiredService<StorageClients>().EnsureCreatedAsync();

app.UseExceptionHandler();
app.UseStatusCodePages();
app.MapGrpcService<ObservedTaskHubGrpcServer>().RequireHost($"*:{grpcPort}");
app.MapGet("/api/health", (WorkerConnection worker) => worker.IsConnected
    ? Results.Ok(new { status = "healthy", worker = "connected" })
    : Results.Json(new { status = "starting", worker = "not connected" }, statusCode: StatusCodes.Status503ServiceUnavailable));
app.MapRunsApi();

app.Run();
