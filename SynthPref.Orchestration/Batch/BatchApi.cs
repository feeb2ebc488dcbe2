using System.ClientModel;
using System.ClientModel.Primitives;
using System.Collections.Concurrent;
using System.Text.Json;
using Azure.Identity;
using OpenAI;
using OpenAI.Batch;
using OpenAI.Files;
using SynthPref.Orchestration.Llm;

#pragma warning disable OPENAI001 // the Batch client is marked experimental; its wire format is OpenAI's stable Batch API.

namespace SynthPref.Orchestration.Batch;

/// <summary>A batch as the provider describes it: <c>status</c> (validating, in_progress, finalizing, completed,
/// failed, expired, cancelling, cancelled), <c>request_counts</c>, and the files it came with and produced.</summary>
public sealed record BatchInfo(string Id, string Status, int Total, int Completed, int Failed, string? InputFileId, string? OutputFileId,
    string? ErrorFileId, string? Error)
{
    /// <summary>States a batch never leaves.</summary>
    public static bool IsTerminal(string status) => status is "completed" or "failed" or "expired" or "cancelled";

    public static BatchInfo Parse(JsonElement batch)
    {
        string? Text(string name) => batch.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        int Count(string name) => batch.TryGetProperty("request_counts", out var counts) && counts.ValueKind == JsonValueKind.Object
                                  && counts.TryGetProperty(name, out var n) && n.TryGetInt32(out var value) ? value : 0;
        string? error = null;
        if (batch.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Object
            && errors.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Array)
            error = string.Join("; ", data.EnumerateArray().Select(e =>
                (e.TryGetProperty("code", out var c) ? c.ToString() + ": " : "") + (e.TryGetProperty("message", out var m) ? m.ToString() : "")));
        return new BatchInfo(Text("id") ?? throw new InvalidOperationException("The provider's batch has no id."), Text("status") ?? "unknown",
            Count("total"), Count("completed"), Count("failed"), Text("input_file_id"), Text("output_file_id"), Text("error_file_id"),
            string.IsNullOrEmpty(error) ? null : error);
    }
}

/// <summary>
/// One section's Files and Batches endpoints, through the OpenAI SDK's <see cref="OpenAIFileClient"/> and
/// <see cref="BatchClient"/> (their protocol methods where the SDK's models would lose fields). Azure OpenAI is reached
/// through its v1 API (<c>{endpoint}/openai/v1</c>), which speaks OpenAI's wire format: Azure.AI.OpenAI 2.1.0's own
/// batch client does not load beside the OpenAI 2.14 library the chat adapter needs.
/// </summary>
public sealed class BatchApi
{
    /// <summary>An upload of a 200 MB file outlasts any chat call's timeout.</summary>
    static readonly TimeSpan NetworkTimeout = TimeSpan.FromMinutes(10);
    const int ListPage = 100;
    const int ListPages = 10;

    readonly OpenAIFileClient files;
    readonly BatchClient batches;

    public BatchApi(LlmOptions options, BatchTarget target)
    {
        Target = target;
        var retry = new LlmRetryPolicy(options.MaxRetries, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(16));
        var (endpoint, auth) = options.Provider switch
        {
            LlmProvider.AzureOpenAI => (new Uri(options.Endpoint!.TrimEnd('/') + "/openai/v1"),
                string.IsNullOrEmpty(options.ApiKey)
                    ? (AuthenticationPolicy)new BearerTokenPolicy(new DefaultAzureCredential(), "https://cognitiveservices.azure.com/.default")
                    : ApiKeyAuthenticationPolicy.CreateHeaderApiKeyPolicy(new ApiKeyCredential(options.ApiKey), "api-key")),
            LlmProvider.OpenAICompatible => (new Uri(options.Endpoint!),
                ApiKeyAuthenticationPolicy.CreateBearerAuthorizationPolicy(new ApiKeyCredential(string.IsNullOrEmpty(options.ApiKey) ? "not-needed" : options.ApiKey))),
            _ => throw new InvalidOperationException($"{options.Provider} has no Batch API."),
        };
        var clientOptions = new OpenAIClientOptions { Endpoint = endpoint, NetworkTimeout = NetworkTimeout, RetryPolicy = retry };
        files = new OpenAIFileClient(auth, clientOptions);
        batches = new BatchClient(auth, clientOptions);
    }

    public BatchTarget Target { get; }

    /// <summary>Uploads a batch input file (<c>purpose=batch</c>); its id.</summary>
    public async Task<string> UploadAsync(Stream content, string fileName, CancellationToken ct) =>
        (await files.UploadFileAsync(content, fileName, FileUploadPurpose.Batch, ct).ConfigureAwait(false)).Value.Id;

    /// <summary>A batch input file uploaded earlier under this name (a retried upload whose answer was lost), or null.</summary>
    public async Task<string?> FindFileAsync(string fileName, CancellationToken ct)
    {
        var result = await files.GetFilesAsync("batch", new RequestOptions { CancellationToken = ct }).ConfigureAwait(false);
        using var json = JsonDocument.Parse(result.GetRawResponse().Content);
        return json.RootElement.TryGetProperty("data", out var data)
            ? data.EnumerateArray().Where(f => f.TryGetProperty("filename", out var n) && n.GetString() == fileName)
                .Select(f => f.GetProperty("id").GetString()).FirstOrDefault()
            : null;
    }

    /// <summary>Creates the batch over an uploaded file, with a 24-hour completion window.</summary>
    public async Task<BatchInfo> CreateAsync(string fileId, IReadOnlyDictionary<string, string> metadata, CancellationToken ct)
    {
        using var body = BinaryContent.Create(BinaryData.FromObjectAsJson(new Dictionary<string, object>
        {
            ["input_file_id"] = fileId,
            ["endpoint"] = Target.Url,
            ["completion_window"] = "24h",
            ["metadata"] = metadata,
        }));
        var operation = await batches.CreateBatchAsync(body, waitUntilCompleted: false, new RequestOptions { CancellationToken = ct }).ConfigureAwait(false);
        return Read(operation.GetRawResponse().Content);
    }

    /// <summary>The batch created over this input file (a retried create whose answer was lost), or null. The list is
    /// newest first, so a batch made moments ago is on its first page.</summary>
    public async Task<BatchInfo?> FindBatchAsync(string inputFileId, CancellationToken ct)
    {
        var pages = 0;
        await foreach (var result in batches.GetBatchesAsync(after: null, limit: ListPage, new RequestOptions { CancellationToken = ct })
                           .GetRawPagesAsync().ConfigureAwait(false))
        {
            using var json = JsonDocument.Parse(result.GetRawResponse().Content);
            if (json.RootElement.TryGetProperty("data", out var data))
                foreach (var batch in data.EnumerateArray())
                    if (batch.TryGetProperty("input_file_id", out var input) && input.GetString() == inputFileId)
                        return BatchInfo.Parse(batch);
            if (++pages >= ListPages) break;
        }
        return null;
    }

    public async Task<BatchInfo> GetAsync(string batchId, CancellationToken ct) =>
        Read((await batches.GetBatchAsync(batchId, new RequestOptions { CancellationToken = ct }).ConfigureAwait(false)).GetRawResponse().Content);

    public async Task<BatchInfo> CancelAsync(string batchId, CancellationToken ct)
    {
        var operation = await CreateBatchOperation.RehydrateAsync(batches, batchId, ct).ConfigureAwait(false);
        return Read((await operation.CancelAsync(new RequestOptions { CancellationToken = ct }).ConfigureAwait(false)).GetRawResponse().Content);
    }

    /// <summary>A file's content as a stream, not buffered: an output file can be as large as its input.</summary>
    public async Task<Stream> OpenFileAsync(string fileId, CancellationToken ct)
    {
        var result = await files.DownloadFileAsync(fileId, new RequestOptions { CancellationToken = ct, BufferResponse = false }).ConfigureAwait(false);
        return result.GetRawResponse().ContentStream ?? new MemoryStream(result.GetRawResponse().Content.ToArray());
    }

    static BatchInfo Read(BinaryData content)
    {
        using var json = JsonDocument.Parse(content);
        return BatchInfo.Parse(json.RootElement);
    }
}

/// <summary>The Batch API of each configured section, built on first use.</summary>
public sealed class BatchApis(LlmSections sections)
{
    readonly ConcurrentDictionary<string, BatchApi> bySection = new(StringComparer.OrdinalIgnoreCase);

    public BatchApi For(string section) => bySection.GetOrAdd(section, s =>
    {
        var options = sections.Bind(s);
        var target = BatchTarget.For(options, s)
                     ?? throw new InvalidOperationException($"Section {s} cannot batch: {string.Join("; ", options.BatchProblems(s))}");
        return new BatchApi(options, target);
    });
}
