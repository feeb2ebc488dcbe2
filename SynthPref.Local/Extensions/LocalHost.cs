using Microsoft.Extensions.Options;
using SynthPref.Local.Durable;
using SynthPref.Local.Triggers;
using SynthPref.Orchestration.Api;
using SynthPref.Orchestration.Hosting;
using SynthPref.Orchestration.Llm;
using SynthPref.Orchestration.Reviews;
using SynthPref.Orchestration.Storage;

namespace SynthPref.Local.Extensions;

/// <summary>The local host's composition, apart from Program so tests can inspect what it registers.</summary>
public static class LocalHost
{
    public static WebApplicationBuilder CreateBuilder(string[] args)
    {
        // appsettings.json (log levels included) sits beside the binaries; without this it is read from wherever the
        // host was started, which for `dotnet run --project` or `dotnet SynthPref.Local.dll` is usually not there.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        var grpcPort = DurableBackendExtensions.ResolveGrpcPort(builder.Configuration);
        builder.ListenOnApiUrls(grpcPort);
        builder.Services.AddSingleton<ListenerGuard>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ListenerGuard>());
        builder.AddForwardedHeaders();
        builder.AddServiceDefaults("SynthPref.Local");
        builder.Services.AddExceptionHandler<StorageProblemHandler>();
        // A body the server itself refuses (past Kestrel's limit) is a 413 like the handlers' own, not a 500.
        builder.Services.Configure<ExceptionHandlerOptions>(o =>
            o.StatusCodeSelector = e => e is BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status500InternalServerError);
        builder.Services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.AddPolicy(ReviewRateLimiting.PolicyName, context =>
                ReviewRateLimiting.Partition(context, context.RequestServices.GetRequiredService<IOptions<ReviewRateLimitOptions>>().Value));
            o.OnRejected = (rejected, ct) => new ValueTask(ReviewRateLimiting.Rejected(rejected.HttpContext.Response, rejected.Lease,
                rejected.HttpContext.RequestServices.GetRequiredService<IOptions<ReviewRateLimitOptions>>().Value).ExecuteAsync(rejected.HttpContext));
        });
        builder.Services.AddSynthPrefCore(builder.Configuration);
        builder.AddDurableBackend(grpcPort);
        builder.Services.AddHostedService<BlobInputWatcher>();
        return builder;
    }

    public static async Task<WebApplication> BuildAsync(WebApplicationBuilder builder)
    {
        var app = builder.Build();
        // The host still starts (its API and stored runs stay reachable), but says loudly what is wrong;
        // new runs are refused with the same message until the judge is configured.
        var llm = app.Services.GetRequiredService<IOptions<LlmOptions>>().Value.Validate();
        if (llm.Count > 0)
            app.Logger.LogError("No usable judge, so new runs will be refused: {Problems}", string.Join("; ", llm));
        await app.EnsureTaskHubAsync();
        await app.Services.GetRequiredService<StorageClients>().EnsureCreatedAsync();

        // First of all: nothing is served until the addresses Kestrel bound have been checked.
        app.Use(app.Services.GetRequiredService<ListenerGuard>().Gate);
        app.UseForwardedHeaders();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseRateLimiter();
        app.MapGrpcService<ObservedTaskHubGrpcServer>().RequireHost($"*:{DurableBackendExtensions.GrpcPortOf(app)}");
        app.MapDefaultEndpoints();
        app.MapRunsApi();
        return app;
    }
}
