using Azure.Storage.Blobs.Models;
using Microsoft.DurableTask.Client;
using SynthPref.Orchestration.Outcomes;
using SynthPref.Orchestration.Runs;
using SynthPref.Orchestration.Storage;

namespace SynthPref.Local.Triggers;

/// <summary>
/// The local stand-in for the Functions BlobTrigger on synthpref-input (<c>BlobTrigger:Container</c>): it polls the
/// container and starts a run per (name, ETag). The run id is derived from both, so restarts and repeated polls
/// never start twice.
/// </summary>
public sealed class BlobInputWatcher(
    StorageClients storage,
    RunStarter runs,
    DurableTaskClient client,
    IConfiguration configuration,
    ILogger<BlobInputWatcher> logger) : BackgroundService
{
    readonly HashSet<string> handled = new(StringComparer.Ordinal);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Off for a host that shares storage with another one but must not take its uploads (tests, a second hub).
        if (!configuration.GetValue("BlobTrigger:Enabled", true)) return;
        var interval = TimeSpan.FromSeconds(configuration.GetValue("BlobTrigger:PollSeconds", 2.0));
        var containerName = configuration["BlobTrigger:Container"] is { Length: > 0 } configured ? configured : StorageNames.InputContainer;
        var container = storage.Container(containerName);
        await container.CreateIfNotExistsAsync(cancellationToken: stoppingToken);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await foreach (var blob in container.GetBlobsAsync(BlobTraits.Metadata, BlobStates.None, prefix: null, stoppingToken))
                {
                    if (!blob.Name.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase)) continue;
                    var key = $"{blob.Name}|{blob.Properties.ETag}";
                    if (handled.Contains(key)) continue;
                    await StartAsync(containerName, blob, stoppingToken);
                    handled.Add(key);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                logger.LogWarning(e, "Polling {Container} failed; retrying in {Interval}", containerName, interval);
            }
            await Task.Delay(interval, stoppingToken).ContinueWith(_ => { }, CancellationToken.None);
        }
    }

    async Task StartAsync(string container, BlobItem blob, CancellationToken ct)
    {
        var outcome = await runs.StartFromBlobAsync(client, container, blob.Name,
            blob.Properties.ETag?.ToString() ?? "", blob.Metadata ?? new Dictionary<string, string>(), ct);
        if (outcome.Kind != OutcomeKind.Ok)
            logger.LogError("Upload refused: {Detail}", outcome.Detail);
        else if (!outcome.Value!.AlreadyExisted)
            logger.LogInformation("Blob {Blob} started run {RunId}", blob.Name, outcome.Value.RunId);
    }
}
