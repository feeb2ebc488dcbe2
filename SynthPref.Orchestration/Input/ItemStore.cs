using System.Text;
using System.Text.Json;
using Azure;
using Azure.Storage.Blobs;
using SynthPref.Orchestration.Storage;

namespace SynthPref.Orchestration.Input;

/// <summary>
/// Input lives in blobs so the orchestration passes only references: the run's input file and one blob per
/// validated item, which each activity reads by index.
/// </summary>
public sealed class ItemStore(StorageClients storage)
{
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    BlobContainerClient Work => storage.Container(StorageNames.WorkContainer);

    public static string InputPath(string runId) => $"{runId}/input.jsonl";
    static string ItemPath(string runId, int index) => $"{runId}/items/{index:D7}.json";

    /// <summary>Stores inline input for a run and returns its "container/path" reference.</summary>
    public async Task<string> SaveInputAsync(string runId, string jsonl, CancellationToken ct)
    {
        await Work.GetBlobClient(InputPath(runId)).UploadAsync(BinaryData.FromString(jsonl), overwrite: true, ct);
        return $"{StorageNames.WorkContainer}/{InputPath(runId)}";
    }

    /// <summary>Opens "container/path"; null when the blob does not exist.</summary>
    public async Task<Stream?> OpenInputAsync(string reference, CancellationToken ct)
    {
        var blob = Resolve(reference);
        try
        {
            return await blob.OpenReadAsync(cancellationToken: ct);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    public async Task<bool> InputExistsAsync(string reference, CancellationToken ct) =>
        await Resolve(reference).ExistsAsync(ct);

    BlobClient Resolve(string reference)
    {
        var slash = reference.IndexOf('/');
        if (slash <= 0 || slash == reference.Length - 1)
            throw new ArgumentException($"Blob reference '{reference}' must have the form 'container/path'.", nameof(reference));
        return storage.Container(reference[..slash]).GetBlobClient(reference[(slash + 1)..]);
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

    public static string ReadAll(Stream stream)
    {
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }
}
