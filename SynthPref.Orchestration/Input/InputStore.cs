using System.Text.Json;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Microsoft.Extensions.Caching.Memory;
using SynthPref.Orchestration.Storage;

namespace SynthPref.Orchestration.Input;

/// <summary>
/// A run's input in blobs, so the orchestration passes only references: the run's own copy of its input, and the
/// manifest that says where each item is in it.
/// </summary>
public sealed class InputStore(StorageClients storage) : IDisposable
{
    // A manifest never changes once written, so each host reads it once per run. 16 bytes an item: 64 MiB holds
    // the manifests of four million items.
    readonly MemoryCache manifests = new(new MemoryCacheOptions { SizeLimit = 64L * 1024 * 1024 });

    BlobContainerClient Work => storage.Container(StorageNames.WorkContainer);

    public static string InputPath(string runId) => $"{runId}/input.jsonl";
    static string ManifestPath(string runId) => $"{runId}/manifest.bin";
    static string WorkReference(string runId) => $"{StorageNames.WorkContainer}/{InputPath(runId)}";

    /// <summary>
    /// A writer for the run's own input copy that stages blocks as items come and commits only on request, so an
    /// input refused halfway leaves no blob behind (staged blocks that are never committed are discarded).
    /// </summary>
    public InputCopyWriter CreateInputWriter(string runId) =>
        new(Work.GetBlockBlobClient(InputPath(runId)), WorkReference(runId));

    /// <summary>
    /// Copies "container/path" into the run's own input blob, so a later overwrite or delete of the source
    /// cannot change what the run reads. With an ETag, only that version is copied.
    /// </summary>
    public async Task<SnapshotResult> SnapshotInputAsync(string runId, string reference, string? etag, CancellationToken ct)
    {
        if (!BlobReference.TryParse(reference, out var container, out var path))
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
        if (!BlobReference.TryParse(reference, out var container, out var path))
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

    public async Task WriteManifestAsync(string runId, InputManifest manifest, CancellationToken ct) =>
        await Work.GetBlobClient(ManifestPath(runId)).UploadAsync(BinaryData.FromBytes(manifest.ToBytes()), overwrite: true, ct);

    /// <summary>Item <paramref name="index"/> of a loaded run: one ranged read of the input copy.</summary>
    public async Task<InputItem> ReadItemAsync(string runId, int index, bool critiqueRevise, CancellationToken ct) =>
        (await ReadItemsAsync(runId, index, 1, critiqueRevise, ct))[0];

    /// <summary>
    /// Items [start, start + count) of a loaded run. They sit next to each other in the input copy, so one ranged
    /// read fetches them all, unless that span is too large to hold at once.
    /// </summary>
    public async Task<IReadOnlyList<InputItem>> ReadItemsAsync(string runId, int start, int count, bool critiqueRevise, CancellationToken ct)
    {
        var manifest = await ManifestAsync(runId, ct);
        if (start < 0 || count < 1 || start + count > manifest.Count)
            throw new ArgumentOutOfRangeException(nameof(count), $"Run {runId} has {manifest.Count} items, not [{start}, {start + count}).");
        var blob = Work.GetBlobClient(InputPath(runId));
        var first = manifest[start];
        var last = manifest[start + count - 1];
        var span = last.Offset + last.Length - first.Offset;
        var validator = new InputValidator(critiqueRevise);
        if (span <= MaxSpanBytes)
        {
            var content = (await blob.DownloadContentAsync(new BlobDownloadOptions { Range = new HttpRange(first.Offset, span) }, ct)).Value.Content.ToMemory();
            return ItemsIn(content, first.Offset, manifest, start, count, validator, runId);
        }
        var items = new List<InputItem>(count);
        for (var i = start; i < start + count; i++)
        {
            var content = (await blob.DownloadContentAsync(new BlobDownloadOptions { Range = new HttpRange(manifest[i].Offset, manifest[i].Length) }, ct)).Value.Content;
            items.AddRange(ItemsIn(content.ToMemory(), manifest[i].Offset, manifest, i, 1, validator, runId));
        }
        return items;
    }

    const long MaxSpanBytes = 16L * 1024 * 1024;

    /// <summary>Items [start, start + count) from <paramref name="content"/>, the bytes of the input copy from
    /// <paramref name="offset"/> on, each validated again as it was when the input was loaded (ids were checked for
    /// duplicates then; here each item stands alone).</summary>
    public static IReadOnlyList<InputItem> ItemsIn(ReadOnlyMemory<byte> content, long offset, InputManifest manifest, int start, int count,
        InputValidator validator, string runId)
    {
        var items = new List<InputItem>(count);
        for (var i = start; i < start + count; i++)
        {
            var entry = manifest[i];
            var errors = new List<InputError>();
            using var document = JsonDocument.Parse(content.Slice((int)(entry.Offset - offset), entry.Length));
            items.Add(validator.Validate(document.RootElement, entry.Line, i, errors, checkDuplicateIds: false)
                ?? throw new InvalidDataException($"Item {i} of run {runId} no longer validates: {string.Join("; ", errors)}"));
        }
        return items;
    }

    async Task<InputManifest> ManifestAsync(string runId, CancellationToken ct) =>
        (await manifests.GetOrCreateAsync(runId, async entry =>
        {
            var content = await Work.GetBlobClient(ManifestPath(runId)).DownloadContentAsync(ct);
            var manifest = InputManifest.FromBytes(content.Value.Content.ToMemory().Span);
            entry.Size = manifest.SizeInBytes;
            entry.SlidingExpiration = TimeSpan.FromMinutes(30);
            return manifest;
        }))!;

    public void Dispose() => manifests.Dispose();
}

/// <summary>The run's own input reference, or why it could not be made.</summary>
public sealed record SnapshotResult(string? Reference, string? Error)
{
    public static SnapshotResult Problem(string error) => new(null, error);
}

/// <summary>Appends items to a run's input copy in staged blocks of about 4 MiB; see <see cref="InputStore.CreateInputWriter"/>.</summary>
public sealed class InputCopyWriter(BlockBlobClient blob, string reference) : IDisposable
{
    const int BlockBytes = 4 * 1024 * 1024;
    readonly MemoryStream pending = new();
    readonly List<string> blocks = [];

    public async ValueTask WriteAsync(InputItem item, CancellationToken ct)
    {
        InputJsonl.WriteItem(item, pending);
        if (pending.Length >= BlockBytes) await StageAsync(ct);
    }

    /// <summary>Makes the staged items the blob's content and returns its "container/path" reference.</summary>
    public async Task<string> CommitAsync(CancellationToken ct)
    {
        if (pending.Length > 0 || blocks.Count == 0) await StageAsync(ct);
        await blob.CommitBlockListAsync(blocks, cancellationToken: ct);
        return reference;
    }

    async Task StageAsync(CancellationToken ct)
    {
        var id = Convert.ToBase64String(BitConverter.GetBytes((long)blocks.Count));
        pending.Position = 0;
        await blob.StageBlockAsync(id, pending, cancellationToken: ct);
        blocks.Add(id);
        pending.SetLength(0);
    }

    public void Dispose() => pending.Dispose();
}
