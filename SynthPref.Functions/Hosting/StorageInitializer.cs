using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SynthPref.Orchestration.Storage;

namespace SynthPref.Functions.Hosting;

/// <summary>Whether the product's containers and tables are known to exist; the health function reports it.</summary>
public sealed class StorageReadiness
{
    volatile bool ready;
    public bool IsReady => ready;
    public string? LastError { get; private set; }
    internal void MarkReady() { ready = true; LastError = null; }
    internal void MarkFailed(Exception e) => LastError = e.Message;
}

/// <summary>
/// Creates the containers and tables at start-up. Start-up waits for the first attempt at most
/// <see cref="FirstAttemptTimeout"/>; after that, retries go on in the background with back-off so a storage
/// outage (or a role assignment still propagating) never keeps the worker from starting.
/// </summary>
public sealed class StorageInitializer(StorageClients storage, StorageReadiness readiness, ILogger<StorageInitializer> logger)
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
            readiness.MarkReady();
            logger.LogInformation("Storage containers and tables are in place");
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException || !stopping.IsCancellationRequested)
        {
            readiness.MarkFailed(e);
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
