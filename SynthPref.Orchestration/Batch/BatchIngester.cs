using System.ClientModel.Primitives;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using OpenAI.Chat;
using SynthPref.Orchestration.Llm;
using SynthPref.Orchestration.Storage;

namespace SynthPref.Orchestration.Batch;

/// <summary>What a cycle's batches came to: the usage of their answers by role (<see cref="LlmUsage.BatchAnswers"/>,
/// tokens, <see cref="LlmUsage.BatchFailed"/>), and the requests answered and left unanswered.</summary>
public sealed record BatchIngest(IReadOnlyDictionary<string, LlmUsage> Usage, int Answered, int Unanswered);

/// <summary>
/// Brings a cycle's ended batches home. Every answer in a batch's output file is converted to the chat response a live
/// call would have produced (the SDK's <see cref="ChatCompletion"/> model, then Microsoft.Extensions.AI's conversion)
/// and written to the response cache under its custom id, which is the key the step will look it up by. Every request
/// of the batch's input without an answer (in its error file, or lost with a batch that expired, failed or was
/// cancelled) is recorded as unanswered by this cycle, so the next cycle sends it again once and then no more. A batch
/// is marked ingested with its counts, so a retried ingest skips it and still reports the whole cycle.
/// </summary>
public sealed class BatchIngester(StorageClients storage, BatchStore store, BatchApis apis, LlmClients clients, ILogger<BatchIngester> logger)
{
    /// <summary>Cache writes in flight at once; the cache commits them in groups.</summary>
    const int Writes = 64;

    public async Task<BatchIngest> IngestAsync(string runId, int cycle, CancellationToken ct)
    {
        var usage = new Dictionary<string, LlmUsage>(StringComparer.Ordinal);
        int answered = 0, unanswered = 0;
        foreach (var record in await store.ListAsync(runId, cycle, ct).ConfigureAwait(false))
        {
            var done = record.Ingested ? record : await IngestAsync(record, ct).ConfigureAwait(false);
            answered += done.Answered;
            unanswered += done.Unanswered;
            var use = new LlmUsage(InputTokens: done.InputTokens, OutputTokens: done.OutputTokens, BatchAnswers: done.Answered,
                BatchInputTokens: done.InputTokens, BatchOutputTokens: done.OutputTokens, BatchFailed: done.Unanswered);
            usage[done.Role] = usage.TryGetValue(done.Role, out var sum) ? sum.Add(use) : use;
        }
        return new BatchIngest(usage, answered, unanswered);
    }

    async Task<BatchRecord> IngestAsync(BatchRecord record, CancellationToken ct)
    {
        var cache = clients.ForRole(record.Role).GetService<StoredResponseCache>()
                    ?? throw new InvalidOperationException($"The {record.Role} client has no response cache to put batch answers in.");
        var answered = new HashSet<string>(StringComparer.Ordinal);
        var errors = new Dictionary<string, string>(StringComparer.Ordinal);
        long input = 0, output = 0;
        var api = record.BatchId is null ? null : apis.For(record.Section);

        if (api is not null && record.OutputFileId is { } outputFile)
        {
            using var gate = new SemaphoreSlim(Writes);
            var writes = new List<Task>();
            await foreach (var line in LinesAsync(await api.OpenFileAsync(outputFile, ct).ConfigureAwait(false), ct).ConfigureAwait(false))
            {
                using var json = JsonDocument.Parse(line);
                var root = json.RootElement;
                var key = root.GetProperty("custom_id").GetString()!;
                if (Answer(root) is not { } body)
                {
                    errors[key] = ErrorOf(root);
                    continue;
                }
                var completion = ModelReaderWriter.Read<ChatCompletion>(BinaryData.FromString(body.GetRawText()))
                                 ?? throw new InvalidDataException($"Batch {record.BatchId}: the answer to {key} is not a chat completion.");
#pragma warning disable OPENAI001 // the conversion the live chat client itself uses, marked experimental in this version.
                var response = completion.AsChatResponse();
#pragma warning restore OPENAI001
                input += response.Usage?.InputTokenCount ?? 0;
                output += response.Usage?.OutputTokenCount ?? 0;
                if (!answered.Add(key)) continue;
                await gate.WaitAsync(ct).ConfigureAwait(false);
                writes.Add(Task.Run(async () =>
                {
                    try { await cache.StoreAsync(key, response, ct).ConfigureAwait(false); }
                    finally { gate.Release(); }
                }, ct));
                if (writes.Count >= 4 * Writes)
                {
                    await Task.WhenAll(writes).ConfigureAwait(false);
                    writes.Clear();
                }
            }
            await Task.WhenAll(writes).ConfigureAwait(false);
        }
        if (api is not null && record.ErrorFileId is { } errorFile)
            await foreach (var line in LinesAsync(await api.OpenFileAsync(errorFile, ct).ConfigureAwait(false), ct).ConfigureAwait(false))
            {
                using var json = JsonDocument.Parse(line);
                errors[json.RootElement.GetProperty("custom_id").GetString()!] = ErrorOf(json.RootElement);
            }

        // The input is the list of what was asked: whatever has no answer is unanswered, whatever the provider said.
        var lost = new List<(string Key, string Error)>();
        var fallback = $"Batch {record.BatchId} ended {record.State} without answering it{(record.Error is { } e ? $" ({e})" : "")}.";
        await using (var stream = await storage.Container(StorageNames.WorkContainer).GetBlobClient(record.InputBlob).OpenReadAsync(cancellationToken: ct)
                         .ConfigureAwait(false))
            await foreach (var line in LinesAsync(stream, ct).ConfigureAwait(false))
            {
                var key = BatchSubmitter.CustomIdOf(line);
                if (!answered.Contains(key))
                    lost.Add((key, errors.TryGetValue(key, out var error) ? $"Batch {record.BatchId}: {error}" : fallback));
            }
        await store.RecordUnansweredAsync(record.RunId, record.Cycle, lost, ct).ConfigureAwait(false);

        var done = record with { Ingested = true, Answered = answered.Count, Unanswered = lost.Count, InputTokens = input, OutputTokens = output };
        await store.SaveAsync(done, ct).ConfigureAwait(false);
        logger.LogInformation("Run {RunId}: batch {BatchId} ({State}) answered {Answered} of {Requests} {Role} requests",
            record.RunId, record.BatchId, record.State, answered.Count, record.Requests, record.Role);
        return done;
    }

    /// <summary>The chat completion of an output line with status 200, else null.</summary>
    static JsonElement? Answer(JsonElement line) =>
        line.TryGetProperty("response", out var response) && response.ValueKind == JsonValueKind.Object
        && response.TryGetProperty("status_code", out var status) && status.TryGetInt32(out var code) && code == 200
        && response.TryGetProperty("body", out var body) && body.ValueKind == JsonValueKind.Object
            ? body
            : null;

    /// <summary>What a line of an error file (or a failed line of an output file) says went wrong.</summary>
    static string ErrorOf(JsonElement line)
    {
        if (line.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object)
            return $"{(error.TryGetProperty("code", out var c) ? c + ": " : "")}{(error.TryGetProperty("message", out var m) ? m.ToString() : error.ToString())}";
        if (line.TryGetProperty("response", out var response) && response.ValueKind == JsonValueKind.Object)
        {
            var status = response.TryGetProperty("status_code", out var s) ? s.ToString() : "?";
            var message = response.TryGetProperty("body", out var body) && body.ValueKind == JsonValueKind.Object
                          && body.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.Object && e.TryGetProperty("message", out var text)
                ? text.ToString()
                : "no answer";
            return $"HTTP {status}: {message}";
        }
        return "no answer";
    }

    static async IAsyncEnumerable<string> LinesAsync(Stream stream, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await using (stream.ConfigureAwait(false))
        {
            using var reader = new StreamReader(stream, Encoding.UTF8);
            while (await reader.ReadLineAsync(ct).ConfigureAwait(false) is { } line)
                if (line.Length > 0)
                    yield return line;
        }
    }
}
