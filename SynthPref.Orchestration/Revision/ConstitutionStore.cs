using Azure;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Caching.Memory;
using SynthPref.Orchestration.Storage;

namespace SynthPref.Orchestration.Revision;

/// <summary>What a run's constitution came to when it started: the run's own copy, or why there is none.</summary>
public sealed record ConstitutionSnapshot(string? Reference, IReadOnlyList<string> Errors);

/// <summary>
/// A run's constitution: the default, or a copy of the blob the run named, made when the run starts so a later
/// change to that blob cannot change the run. Copies never change, so each host reads one once.
/// </summary>
public sealed class ConstitutionStore(StorageClients storage) : IDisposable
{
    readonly MemoryCache loaded = new(new MemoryCacheOptions { SizeLimit = 256 });

    static string CopyPath(string runId) => $"{runId}/constitution.json";

    /// <summary>Where a run's copy of its constitution is, once <see cref="SnapshotAsync"/> has made it.</summary>
    public static string CopyReference(string runId) => $"{StorageNames.WorkContainer}/{CopyPath(runId)}";

    /// <summary>Reads and checks "container/path", then copies it into the run. A run's own copies and outputs cannot
    /// be named: they are not inputs.</summary>
    public async Task<ConstitutionSnapshot> SnapshotAsync(string runId, string reference, CancellationToken ct)
    {
        if (!BlobReference.TryParse(reference, out var container, out var path))
            return Problem($"'{reference}' must have the form 'container/path.json'.");
        if (container is StorageNames.WorkContainer or StorageNames.OutputContainer)
            return Problem($"'{reference}' is in {container}, which holds runs' own copies and outputs; upload the constitution to " +
                           $"{StorageNames.UploadsContainer} or another container of yours.");
        BinaryData content;
        try
        {
            var blob = storage.Container(container).GetBlobClient(path);
            var properties = await blob.GetPropertiesAsync(cancellationToken: ct);
            if (properties.Value.ContentLength > Constitution.MaxFileBytes)
                return Problem($"blob '{reference}' has {properties.Value.ContentLength} bytes; the limit is {Constitution.MaxFileBytes}.");
            content = (await blob.DownloadContentAsync(ct)).Value.Content;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return Problem($"blob '{reference}' does not exist.");
        }
        catch (RequestFailedException e) when (e.Status == 400)
        {
            return Problem($"'{reference}' is not a valid blob name ({e.ErrorCode}).");
        }

        var errors = new List<string>();
        if (Constitution.Parse(content.ToMemory().Span, errors) is null)
            return new ConstitutionSnapshot(null, errors.Select(e => $"constitution '{reference}': {e}").ToList());
        await storage.Container(StorageNames.WorkContainer).GetBlobClient(CopyPath(runId)).UploadAsync(content, overwrite: true, ct);
        return new ConstitutionSnapshot(CopyReference(runId), []);

        static ConstitutionSnapshot Problem(string error) => new(null, [error]);
    }

    /// <summary>The constitution at a run's own copy, or the default for null.</summary>
    public async Task<Constitution> LoadAsync(string? reference, CancellationToken ct)
    {
        if (reference is null) return Constitution.Default;
        return (await loaded.GetOrCreateAsync(reference, async entry =>
        {
            BlobReference.TryParse(reference, out var container, out var path);
            var content = await storage.Container(container).GetBlobClient(path).DownloadContentAsync(ct);
            var errors = new List<string>();
            var constitution = Constitution.Parse(content.Value.Content.ToMemory().Span, errors)
                ?? throw new InvalidDataException($"The run's constitution '{reference}' no longer parses: {string.Join(" ", errors)}");
            entry.Size = 1;
            entry.SlidingExpiration = TimeSpan.FromMinutes(30);
            return constitution;
        }))!;
    }

    public void Dispose() => loaded.Dispose();
}
