using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using SynthPref.Orchestration.Storage;

namespace SynthPref.Orchestration.Reporting;

/// <summary>The run's deliverables under synthpref-output/{runId}/.</summary>
public sealed class OutputStore(StorageClients storage)
{
    public const string ReportJsonName = "report.json";
    public const string ReportHtmlName = "report.html";
    public const string DatasetName = "dataset.jsonl";

    /// <summary>The escalated pairs no reviewer labelled; written only by runs with trustTarget.</summary>
    public const string EscalatedName = "escalated.jsonl";

    BlobContainerClient Output => storage.Container(StorageNames.OutputContainer);

    public static string PathOf(string runId, string name) => $"{StorageNames.OutputContainer}/{runId}/{name}";

    public async Task<string> WriteAsync(string runId, string name, string content, string contentType, CancellationToken ct)
    {
        await Output.GetBlobClient($"{runId}/{name}").UploadAsync(BinaryData.FromString(content),
            new BlobUploadOptions { HttpHeaders = new BlobHttpHeaders { ContentType = contentType } }, ct);
        return PathOf(runId, name);
    }

    public async Task<Stream?> OpenAsync(string runId, string name, CancellationToken ct)
    {
        try
        {
            return await Output.GetBlobClient($"{runId}/{name}").OpenReadAsync(cancellationToken: ct);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }
}
