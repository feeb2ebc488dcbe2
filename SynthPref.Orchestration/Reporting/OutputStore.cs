using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
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

    /// <summary>A deliverable written as a stream: staged in blocks of a few MB as it is written and committed when the
    /// stream is disposed, so a large file is never held whole.</summary>
    public async Task<(Stream Stream, string Path)> OpenWriteAsync(string runId, string name, string contentType, CancellationToken ct)
    {
        var stream = await Output.GetBlockBlobClient($"{runId}/{name}").OpenWriteAsync(overwrite: true,
            new BlockBlobOpenWriteOptions { HttpHeaders = new BlobHttpHeaders { ContentType = contentType }, BufferSize = 4 * 1024 * 1024 }, ct);
        return (stream, PathOf(runId, name));
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
