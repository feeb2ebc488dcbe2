using Azure.Storage.Blobs;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using SynthPref.Orchestration.Outcomes;
using SynthPref.Orchestration.Runs;
using SynthPref.Orchestration.Storage;

namespace SynthPref.Functions.Functions;

/// <summary>
/// Starts a run for each .jsonl blob uploaded to synthpref-input. The run id comes from
/// <see cref="RunStarter.BlobRunId"/> over (container, name, ETag), exactly as the local host's watcher does,
/// so a redelivered event or a replay of the same upload starts nothing new.
/// The source is Event Grid: Flex Consumption supports only Event Grid-based blob triggers; the Bicep
/// declares the system topic and (once the app's blobs_extension key exists) the subscription.
/// </summary>
public sealed class BlobInputFunction(RunStarter runs, ILogger<BlobInputFunction> logger)
{
    public const string FunctionName = "StartRunFromBlob";
    public const string BlobPath = StorageNames.InputContainer + "/{name}";

    [Function(FunctionName)]
    public async Task Run(
        [BlobTrigger(BlobPath, Connection = "AzureWebJobsStorage", Source = BlobTriggerSource.EventGrid)] BlobClient blob,
        string name,
        [DurableClient] DurableTaskClient client,
        CancellationToken ct)
    {
        if (!name.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase))
        {
            logger.LogInformation("Blob {Blob} is not a .jsonl file; skipped", name);
            return;
        }

        var properties = (await blob.GetPropertiesAsync(cancellationToken: ct)).Value;
        var outcome = await runs.StartFromBlobAsync(client, StorageNames.InputContainer, name,
            properties.ETag.ToString(), properties.Metadata ?? new Dictionary<string, string>(), ct);

        // Invalid metadata is the uploader's mistake, not a transient failure: log it and do not retry. The detail
        // already names the blob and every reason (it is what the run list shows), so it is logged once, alone.
        if (outcome.Kind != OutcomeKind.Ok)
            logger.LogError("Upload refused: {Detail}", outcome.Detail);
        else if (outcome.Value!.AlreadyExisted)
            logger.LogInformation("Blob {Blob} (ETag {ETag}) already started run {RunId}", name, properties.ETag, outcome.Value.RunId);
        else
            logger.LogInformation("Blob {Blob} started run {RunId}", name, outcome.Value.RunId);
    }
}
