using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;
using SynthPref.Orchestration.Api;

namespace SynthPref.Local.Extensions;

/// <summary>
/// The loopback rule, decided from what Kestrel really bound rather than from the settings that told it where to
/// listen: --urls, ASPNETCORE_URLS and HTTP_PORTS are checked early (<see cref="KestrelEndpointExtensions"/>), but
/// Kestrel:Endpoints, code and whatever comes next reach Kestrel by other roads. Once the server has started, every
/// bound address is read from <see cref="IServerAddressesFeature"/>; without Api:Key, one that is not loopback stops the
/// host with exit code 1. Until that verdict, <see cref="Gate"/> holds every request (gRPC included), so none is
/// served on an address that is about to be refused. The key filter does not rely on this: with a key, management
/// routes ask for it on every listener.
/// </summary>
public sealed class ListenerGuard(IServer server, GrpcEndpoint grpc, IOptions<ApiOptions> api, IHostApplicationLifetime lifetime,
    ILogger<ListenerGuard> logger) : IHostedLifecycleService
{
    readonly TaskCompletionSource<bool> verdict = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Runs after every hosted service's StartAsync, so after Kestrel has bound its sockets.</summary>
    public Task StartedAsync(CancellationToken ct)
    {
        var addresses = server.Features.Get<IServerAddressesFeature>()?.Addresses.ToList() ?? [];
        var keyed = !string.IsNullOrEmpty(api.Value.Key);
        var open = addresses.Where(a => !IsLoopback(a)).ToList();
        if (!keyed && open.Count > 0)
        {
            logger.LogCritical("{Refusal} Kestrel bound: {Addresses}.", KestrelEndpointExtensions.Refusal(HostAndPort(open[0])),
                string.Join(", ", addresses.Select(Describe)));
            verdict.TrySetResult(false);
            Environment.ExitCode = 1;
            lifetime.StopApplication();
            return Task.CompletedTask;
        }
        // The one line that says every port this process opened and what each is for.
        logger.LogInformation("Listening on {Addresses}; {Access}.", string.Join(", ", addresses.Select(Describe)),
            keyed ? $"management routes need Api:Key in {ApiOptions.KeyHeader} on every address"
                  : "no Api:Key, so loopback only");
        verdict.TrySetResult(true);
        return Task.CompletedTask;
    }

    /// <summary>The first middleware: a request waits for the verdict, and is dropped unanswered if it is a refusal.</summary>
    public async Task Gate(HttpContext context, RequestDelegate next)
    {
        var allowed = verdict.Task.IsCompletedSuccessfully ? verdict.Task.Result : await verdict.Task.WaitAsync(context.RequestAborted);
        if (!allowed)
        {
            context.Abort();
            return;
        }
        await next(context);
    }

    public Task StoppingAsync(CancellationToken ct)
    {
        // A host stopping before the check (a failed start) releases whatever waits at the gate, unanswered.
        verdict.TrySetResult(false);
        return Task.CompletedTask;
    }

    string Describe(string address) =>
        Uri.TryCreate(address, UriKind.Absolute, out var uri) && uri.Port == grpc.Port
            ? $"{address} (the durable worker's gRPC, in-process)"
            : $"{address} (API)";

    static bool IsLoopback(string address) =>
        Uri.TryCreate(address, UriKind.Absolute, out var uri) && KestrelEndpointExtensions.IsLoopback(uri.Host);

    static string HostAndPort(string address) =>
        Uri.TryCreate(address, UriKind.Absolute, out var uri) ? $"{uri.Host}:{uri.Port}" : address;

    public Task StartingAsync(CancellationToken ct) => Task.CompletedTask;
    public Task StartAsync(CancellationToken ct) => Task.CompletedTask;
    public Task StopAsync(CancellationToken ct) => Task.CompletedTask;
    public Task StoppedAsync(CancellationToken ct) => Task.CompletedTask;
}
