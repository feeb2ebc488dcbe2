using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SynthPref.Orchestration.Storage;

namespace SynthPref.Functions.Hosting;

/// <summary>
/// Creates the containers and tables at start-up. Start-up waits for the first attempt at most
/// <see cref="FirstAttemptTimeout"/>; after that, retries go on in the background with back-off so a storage
/// outage (or a role assignment still propagating) never keeps the worker from starting. Until it succeeds the
/// storage health check names what is missing.
/// </summary>
public sealed class StorageInitializer(StorageClients storage, ILogger<StorageInitializer> logger)
    : IHostedService, IDisposable
{
    public static readonly TimeSpan FirstAttemptTimeout = TimeSpan.FromSeconds(20);
    static readonly TimeSpan MaxBackoff = TimeSpan.FromMinutes(2);

    readonly CancellationTokenSource stopping = new();
    Task? retries;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        using var first = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, stopping.Token);
        first.CancelAfter(FirstAttemptTimeout);
        if (await TryEnsureAsync(first.Token)) return;
        if (cancellationToken.IsCancellationRequested) return;
        retries = Task.Run(() => RetryAsync(stopping.Token), CancellationToken.None);
    }

    async Task RetryAsync(CancellationToken ct)
    {
        var delay = TimeSpan.FromSeconds(5);
        while (!ct.IsCancellationRequested)
        {
            try { await Task.Delay(delay, ct); }
            catch (OperationCanceledException) { return; }
            if (await TryEnsureAsync(ct)) return;
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxBackoff.Ticks));
        }
    }

    async Task<bool> TryEnsureAsync(CancellationToken ct)
    {
        try
        {
            await storage.EnsureCreatedAsync(ct);
            logger.LogInformation("Storage containers and tables are in place");
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException || !stopping.IsCancellationRequested)
        {
            logger.LogWarning(e, "Creating the storage containers and tables failed; retrying in the background");
            return false;
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        stopping.Cancel();
        if (retries is not null)
            await Task.WhenAny(retries, Task.Delay(Timeout.Infinite, cancellationToken)).ConfigureAwait(false);
    }

    public void Dispose() => stopping.Dispose();
}
