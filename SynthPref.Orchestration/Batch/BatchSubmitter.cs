using System.Text;
using Azure.Storage.Blobs.Specialized;
using Microsoft.Extensions.Logging;
using SynthPref.Orchestration.Llm;
using SynthPref.Orchestration.Storage;

namespace SynthPref.Orchestration.Batch;

/// <summary>
/// Turns a cycle's collected parts into provider batches. Per (section, role), the parts are read in lane order into
/// input files of at most <see cref="LlmOptions.BatchMaxRequests"/> requests and <see cref="LlmOptions.BatchFileMaxBytes"/>,
/// a request asked by several lanes written once (custom ids must be unique in a batch). Each file is uploaded with
/// purpose batch and a batch created over it (completion window 24h), with the row in <see cref="BatchStore"/> saved
/// before each of those steps: a retried submit finds the row, and with it the file or batch already made, so it
/// never uploads twice (it looks a lost upload up by file name) nor creates a second batch (it looks a lost create up
/// by input file). The split is a function of the parts alone, so a retry cuts the same files.
/// </summary>
public sealed class BatchSubmitter(StorageClients storage, BatchStore store, BatchApis apis, LlmSections sections, ILogger<BatchSubmitter> logger)
{
    public async Task<IReadOnlyList<BatchRecord>> SubmitAsync(string runId, int cycle, IReadOnlyList<BatchPart> parts, CancellationToken ct)
    {
        var existing = (await store.ListAsync(runId, cycle, ct).ConfigureAwait(false)).ToDictionary(r => r.Key, StringComparer.Ordinal);
        var records = new List<BatchRecord>();
        foreach (var group in parts.Where(p => p.Requests > 0).GroupBy(p => (p.Section, p.Role))
                     .OrderBy(g => BatchCollector.GroupOf(g.Key.Section, g.Key.Role), StringComparer.Ordinal))
        {
            var (section, role) = group.Key;
            var maxRequests = Math.Max(1, sections.Bind(section).BatchMaxRequests);
            var files = await WriteFilesAsync(runId, cycle, section, role, group.OrderBy(p => p.Blob, StringComparer.Ordinal).ToList(), maxRequests, ct)
                .ConfigureAwait(false);
            foreach (var file in files)
                records.Add(await SubmitFileAsync(file, existing.GetValueOrDefault(file.Key), ct).ConfigureAwait(false));
        }
        return records;
    }

    /// <summary>The cycle's input files for one (section, role), written to the run's folder.</summary>
    async Task<List<BatchRecord>> WriteFilesAsync(string runId, int cycle, string section, string role, IReadOnlyList<BatchPart> parts,
        int maxRequests, CancellationToken ct)
    {
        var group = BatchCollector.GroupOf(section, role);
        var container = storage.Container(StorageNames.WorkContainer);
        var files = new List<BatchRecord>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        Stream? output = null;
        BatchRecord? current = null;
        try
        {
            foreach (var part in parts)
            {
                await using var input = await container.GetBlobClient(part.Blob).OpenReadAsync(cancellationToken: ct).ConfigureAwait(false);
                using var reader = new StreamReader(input, Encoding.UTF8);
                while (await reader.ReadLineAsync(ct).ConfigureAwait(false) is { } line)
                {
                    if (line.Length == 0 || !seen.Add(CustomIdOf(line))) continue;
                    var bytes = Encoding.UTF8.GetBytes(line + "\n");
                    if (current is not null && (current.Requests >= maxRequests || current.Bytes + bytes.Length > LlmOptions.BatchFileMaxBytes))
                    {
                        await output!.DisposeAsync().ConfigureAwait(false);
                        output = null;
                        current = null;
                    }
                    if (current is null)
                    {
                        var n = files.Count + 1;
                        var blob = $"{runId}/batch/c{cycle:D3}/{group}/batch-{n:D3}.jsonl";
                        current = new BatchRecord(runId, BatchStore.KeyOf(cycle, group, n), cycle, section, role, blob,
                            $"synthpref-{runId}-c{cycle:D3}-{group}-{n:D3}.jsonl", 0, 0);
                        files.Add(current);
                        output = await container.GetBlockBlobClient(blob).OpenWriteAsync(overwrite: true, cancellationToken: ct).ConfigureAwait(false);
                    }
                    await output!.WriteAsync(bytes, ct).ConfigureAwait(false);
                    files[^1] = current = current with { Requests = current.Requests + 1, Bytes = current.Bytes + bytes.Length };
                }
            }
        }
        finally
        {
            if (output is not null) await output.DisposeAsync().ConfigureAwait(false);
        }
        return files;
    }

    async Task<BatchRecord> SubmitFileAsync(BatchRecord file, BatchRecord? earlier, CancellationToken ct)
    {
        if (earlier?.BatchId is not null) return earlier;
        var api = apis.For(file.Section);
        var record = earlier is null ? file : earlier with { Requests = file.Requests, Bytes = file.Bytes };
        if (earlier is null) await store.SaveAsync(record, ct).ConfigureAwait(false);

        var fileId = record.FileId;
        // A row without a file id may have been left by an upload whose answer was lost: look for it before uploading again.
        if (fileId is null && earlier is not null)
            fileId = await api.FindFileAsync(record.FileName, ct).ConfigureAwait(false);
        if (fileId is null)
        {
            await using var content = await storage.Container(StorageNames.WorkContainer).GetBlobClient(record.InputBlob)
                .OpenReadAsync(cancellationToken: ct).ConfigureAwait(false);
            fileId = await api.UploadAsync(content, record.FileName, ct).ConfigureAwait(false);
        }
        var hadFile = record.FileId is not null;
        record = record with { FileId = fileId };
        await store.SaveAsync(record, ct).ConfigureAwait(false);

        // A row with a file id but no batch id may have been left by a create whose answer was lost.
        var batch = hadFile ? await api.FindBatchAsync(fileId, ct).ConfigureAwait(false) : null;
        batch ??= await api.CreateAsync(fileId, new Dictionary<string, string> { ["synthpref_run"] = record.RunId, ["synthpref_batch"] = record.Key }, ct)
            .ConfigureAwait(false);
        record = record.With(batch) with { BatchId = batch.Id };
        await store.SaveAsync(record, ct).ConfigureAwait(false);
        logger.LogInformation("Run {RunId}: batch {BatchId} created for {Requests} {Role} requests ({File})",
            record.RunId, batch.Id, record.Requests, record.Role, record.FileName);
        return record;
    }

    /// <summary>The <c>custom_id</c> of a batch line (of ours, input; or the provider's, output and error).</summary>
    public static string CustomIdOf(string line)
    {
        using var json = System.Text.Json.JsonDocument.Parse(line);
        return json.RootElement.TryGetProperty("custom_id", out var id) && id.GetString() is { Length: > 0 } text
            ? text
            : throw new InvalidDataException("A batch line has no custom_id.");
    }
}
