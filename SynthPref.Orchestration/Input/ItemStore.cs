using System.Text.Json;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using SynthPref.Orchestration.Storage;

namespace SynthPref.Orchestration.Input;

/// <summary>
/// Input lives in blobs so the orchestration passes only references: each run's own copy of its input, and
/// one blob per validated item, which each activity reads by index.
/// </summary>
public sealed class ItemStore(StorageClients storage)
{
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    BlobContainerClient Work => storage.Container(StorageNames.WorkContainer);

    public static string InputPath(string runId) => $"{runId}/input.jsonl";
    static string ItemPath(string runId, int index) => $"{runId}/items/{index:D7}.json";
    string WorkReference(string runId) => $"{StorageNames.WorkContainer}/{InputPath(runId)}";

    /// <summary>Stores inline input for a run and returns its "container/path" reference.</summary>
    public async Task<string> SaveInputAsync(string runId, string jsonl, CancellationToken ct)
    {
        await Work.GetBlobClient(InputPath(runId)).UploadAsync(BinaryData.FromString(jsonl), overwrite: true, ct);
        return WorkReference(runId);
    }

    /// <summary>
    /// Copies "container/path" into the run's own input blob, so a later overwrite or delete of the source
    /// cannot change what the run reads. With an ETag, only that version is copied.
    /// </summary>
    public async Task<SnapshotResult> SnapshotInputAsync(string runId, string reference, string? etag, CancellationToken ct)
    {
        if (!TryParseReference(reference, out var container, out var path))
            return SnapshotResult.Problem($"'{reference}' must have the form 'container/path.jsonl'.");
        try
        {
            var source = storage.Container(container).GetBlobClient(path);
            var options = new BlobOpenReadOptions(allowModifications: false)
            {
                Conditions = etag is null ? null : new BlobRequestConditions { IfMatch = new ETag(etag) },
            };
            await using var read = await source.OpenReadAsync(options, ct);
            await Work.GetBlobClient(InputPath(runId)).UploadAsync(read, overwrite: true, ct);
            return new SnapshotResult(WorkReference(runId), null);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return SnapshotResult.Problem($"blob '{reference}' does not exist.");
        }
        catch (RequestFailedException e) when (e.Status == 412)
        {
            return SnapshotResult.Problem($"blob '{reference}' was replaced before its run started; the newer upload is a run of its own.");
        }
        catch (RequestFailedException e) when (e.Status == 400)
        {
            return SnapshotResult.Problem($"'{reference}' is not a valid blob name ({e.ErrorCode}).");
        }
    }

    /// <summary>Opens "container/path"; null when the blob does not exist.</summary>
    public async Task<Stream?> OpenInputAsync(string reference, CancellationToken ct)
    {
        if (!TryParseReference(reference, out var container, out var path))
            throw new ArgumentException($"Blob reference '{reference}' must have the form 'container/path'.", nameof(reference));
        try
        {
            return await storage.Container(container).GetBlobClient(path).OpenReadAsync(cancellationToken: ct);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    public static bool TryParseReference(string reference, out string container, out string path)
    {
        var slash = reference.IndexOf('/');
        var valid = slash > 0 && slash < reference.Length - 1;
        container = valid ? reference[..slash] : "";
        path = valid ? reference[(slash + 1)..] : "";
        return valid;
    }

    public async Task SaveItemAsync(string runId, InputItem item, CancellationToken ct) =>
        await Work.GetBlobClient(ItemPath(runId, item.Index))
            .UploadAsync(BinaryData.FromObjectAsJson(item, Json), overwrite: true, ct);

    public async Task<InputItem> GetItemAsync(string runId, int index, CancellationToken ct)
    {
        var content = await Work.GetBlobClient(ItemPath(runId, index)).DownloadContentAsync(ct);
        return content.Value.Content.ToObjectFromJson<InputItem>(Json)
               ?? throw new InvalidOperationException($"Item {index} of run {runId} is empty.");
    }
}

/// <summary>The run's own input reference, or why it could not be made.</summary>
public sealed record SnapshotResult(string? Reference, string? Error)
{
    public static SnapshotResult Problem(string error) => new(null, error);
}
