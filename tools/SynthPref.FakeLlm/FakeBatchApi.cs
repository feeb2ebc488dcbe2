using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;

namespace SynthPref.FakeLlm;

/// <summary>A batch as the fake keeps it: what it was created with, when, and where its processing has got to.</summary>
public sealed record FakeBatch(string Id, string InputFileId, string Endpoint, IReadOnlyDictionary<string, string> Metadata, DateTimeOffset CreatedAt,
    int Requests);

/// <summary>
/// OpenAI's Files and Batches endpoints on the fake server (also under Azure OpenAI's <c>/openai/v1</c>): upload with
/// <c>purpose=batch</c> (multipart), list and read files and their content, create, retrieve, list and cancel batches.
/// A batch's lines are validated as OpenAI validates them (unique custom ids, method POST, the batch's endpoint as url,
/// a body with a model and messages), then answered in the background by the server's own responder, the one that
/// answers live calls, so a batch run and a live run of the same input get the same answers. States follow
/// <see cref="ProcessingTime"/>: validating, in_progress (with request_counts rising), finalizing, completed; with zero
/// processing time a batch is completed at its first retrieve once its answers are ready. Faults are asked for by
/// markers in the requests, so tests sharing the server cannot disturb each other:
/// <list type="bullet">
/// <item><c>[[batch-expire]]</c> anywhere in a batch: it expires at the end of its window, its answers lost (in the
/// error file as batch_expired); <c>[[batch-expire-once]]</c>: only the first batch holding those requests does.</item>
/// <item><c>[[batch-fail]]</c>: the batch fails validation, with no files.</item>
/// <item><c>[[batch-error]]</c> in a request: that request is in the error file (HTTP 500) every time;
/// <c>[[batch-error-once]]</c>: the first time its custom id is seen.</item>
/// <item><c>[[slow-upload]]</c> in a file: its upload takes <see cref="SlowUpload"/>.</item>
/// </list>
/// </summary>
public sealed class FakeBatchApi
{
    public const string ExpireMarker = "[[batch-expire]]";
    public const string ExpireOnceMarker = "[[batch-expire-once]]";
    public const string FailMarker = "[[batch-fail]]";
    public const string ErrorMarker = "[[batch-error]]";
    public const string ErrorOnceMarker = "[[batch-error-once]]";
    public const string SlowUploadMarker = "[[slow-upload]]";

    readonly FakeOpenAiServer server;
    readonly ConcurrentDictionary<string, StoredFile> files = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<string, Job> jobs = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<string, bool> erredOnce = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<string, bool> expiredOnce = new(StringComparer.Ordinal);
    long nextId;
    long uploadsInProgress;

    internal FakeBatchApi(FakeOpenAiServer server) => this.server = server;

    /// <summary>How long a batch takes from creation to completion; zero for the benchmark. May be changed between batches.</summary>
    public TimeSpan ProcessingTime { get; set; } = TimeSpan.Zero;

    /// <summary>How long an upload holding <see cref="SlowUploadMarker"/> takes.</summary>
    public TimeSpan SlowUpload { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>Every batch created, in order.</summary>
    public IReadOnlyList<FakeBatch> Batches => jobs.Values.Select(j => j.Batch).OrderBy(b => b.CreatedAt).ThenBy(b => b.Id, StringComparer.Ordinal).ToList();

    /// <summary>Batches created whose metadata names this run (SynthPref tags each with synthpref_run).</summary>
    public IReadOnlyList<FakeBatch> BatchesOf(string runId) =>
        Batches.Where(b => b.Metadata.TryGetValue("synthpref_run", out var run) && run == runId).ToList();

    /// <summary>Uploads of files with purpose batch received so far, and those still being received.</summary>
    public int Uploads => files.Count;
    public long UploadsInProgress => Interlocked.Read(ref uploadsInProgress);

    /// <summary>The provider's view of a batch (its state now), as retrieve answers it.</summary>
    public JsonObject Describe(string batchId) => jobs[batchId].Describe(DateTimeOffset.UtcNow);

    /// <summary>The lines of an uploaded file.</summary>
    public IReadOnlyList<string> LinesOf(string fileId) =>
        Encoding.UTF8.GetString(files[fileId].Content).Split('\n', StringSplitOptions.RemoveEmptyEntries);

    internal void Map(IEndpointRouteBuilder app, string prefix)
    {
        // Typed as Func, not RequestDelegate, so the result is executed rather than dropped.
        app.MapPost($"{prefix}/files", (Func<HttpContext, Task<IResult>>)UploadAsync);
        app.MapGet($"{prefix}/files", (HttpContext ctx) => Results.Json(new JsonObject
        {
            ["object"] = "list",
            ["data"] = new JsonArray(files.Values.Where(f => ctx.Request.Query["purpose"].ToString() is not { Length: > 0 } p || p == f.Purpose)
                .OrderByDescending(f => f.Seq).Select(f => (JsonNode)f.Describe()).ToArray()),
            ["has_more"] = false,
        }));
        app.MapGet($"{prefix}/files/{{id}}", (string id) => files.TryGetValue(id, out var f) ? Results.Json(f.Describe()) : NotFound($"No such file: {id}"));
        app.MapGet($"{prefix}/files/{{id}}/content", (string id) =>
            files.TryGetValue(id, out var f) ? Results.Bytes(f.Content, "application/octet-stream") : NotFound($"No such file: {id}"));
        app.MapPost($"{prefix}/batches", (Func<HttpContext, Task<IResult>>)CreateAsync);
        app.MapGet($"{prefix}/batches/{{id}}", (string id) => jobs.TryGetValue(id, out var j) ? Results.Json(j.Describe(DateTimeOffset.UtcNow)) : NotFound($"No such batch: {id}"));
        app.MapGet($"{prefix}/batches", (HttpContext ctx) => List(ctx));
        app.MapPost($"{prefix}/batches/{{id}}/cancel", (string id) =>
        {
            if (!jobs.TryGetValue(id, out var job)) return NotFound($"No such batch: {id}");
            return job.Cancel(DateTimeOffset.UtcNow) ? Results.Json(job.Describe(DateTimeOffset.UtcNow))
                : Error(StatusCodes.Status409Conflict, $"Batch {id} has ended; it cannot be cancelled.");
        });
    }

    async Task<IResult> UploadAsync(HttpContext ctx)
    {
        Interlocked.Increment(ref uploadsInProgress);
        try
        {
            ctx.Features.Set<IFormFeature>(new FormFeature(ctx.Request, new FormOptions { MultipartBodyLengthLimit = long.MaxValue }));
            var form = await ctx.Request.ReadFormAsync(ctx.RequestAborted);
            if (form.Files.GetFile("file") is not { } file) return Error(StatusCodes.Status400BadRequest, "The upload has no 'file' part.");
            var purpose = form["purpose"].ToString();
            if (purpose != "batch") return Error(StatusCodes.Status400BadRequest, $"purpose must be 'batch' here, not '{purpose}'.");
            using var content = new MemoryStream();
            await file.CopyToAsync(content, ctx.RequestAborted);
            var bytes = content.ToArray();
            if (Encoding.UTF8.GetString(bytes).Contains(SlowUploadMarker, StringComparison.Ordinal))
                await Task.Delay(SlowUpload, ctx.RequestAborted);
            var stored = new StoredFile($"file-fake-{Interlocked.Increment(ref nextId)}", file.FileName, purpose, bytes, DateTimeOffset.UtcNow,
                Interlocked.Increment(ref nextId));
            files[stored.Id] = stored;
            return Results.Json(stored.Describe());
        }
        finally
        {
            Interlocked.Decrement(ref uploadsInProgress);
        }
    }

    async Task<IResult> CreateAsync(HttpContext ctx)
    {
        var body = await JsonNode.ParseAsync(ctx.Request.Body, cancellationToken: ctx.RequestAborted) as JsonObject;
        var fileId = body?["input_file_id"]?.GetValue<string>();
        var endpoint = body?["endpoint"]?.GetValue<string>();
        if (fileId is null || !files.TryGetValue(fileId, out var file)) return Error(StatusCodes.Status400BadRequest, $"No such input file: {fileId}");
        if (endpoint is null) return Error(StatusCodes.Status400BadRequest, "endpoint is required.");
        if (body!["completion_window"]?.GetValue<string>() != "24h") return Error(StatusCodes.Status400BadRequest, "completion_window must be 24h.");
        var metadata = body["metadata"] is JsonObject m
            ? m.ToDictionary(kv => kv.Key, kv => kv.Value?.GetValue<string>() ?? "", StringComparer.Ordinal)
            : new Dictionary<string, string>();
        var lines = Encoding.UTF8.GetString(file.Content).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var batch = new FakeBatch($"batch_fake_{Interlocked.Increment(ref nextId)}", fileId, endpoint, metadata, DateTimeOffset.UtcNow, lines.Length);
        var job = new Job(this, batch, ProcessingTime, Interlocked.Increment(ref nextId));
        jobs[batch.Id] = job;
        job.Start(lines);
        return Results.Json(job.Describe(batch.CreatedAt));
    }

    IResult List(HttpContext ctx)
    {
        var limit = int.TryParse(ctx.Request.Query["limit"], out var l) ? Math.Clamp(l, 1, 100) : 20;
        var ordered = jobs.Values.OrderByDescending(j => j.Seq).ToList();
        if (ctx.Request.Query["after"].ToString() is { Length: > 0 } after)
            ordered = ordered.SkipWhile(j => j.Batch.Id != after).Skip(1).ToList();
        var page = ordered.Take(limit).ToList();
        return Results.Json(new JsonObject
        {
            ["object"] = "list",
            ["data"] = new JsonArray(page.Select(j => (JsonNode)j.Describe(DateTimeOffset.UtcNow)).ToArray()),
            ["first_id"] = page.FirstOrDefault()?.Batch.Id,
            ["last_id"] = page.LastOrDefault()?.Batch.Id,
            ["has_more"] = ordered.Count > page.Count,
        });
    }

    string NewFile(string name, byte[] content)
    {
        var file = new StoredFile($"file-fake-{Interlocked.Increment(ref nextId)}", name, "batch_output", content, DateTimeOffset.UtcNow,
            Interlocked.Increment(ref nextId));
        files[file.Id] = file;
        return file.Id;
    }

    static IResult NotFound(string message) => Error(StatusCodes.Status404NotFound, message);

    static IResult Error(int status, string message) =>
        Results.Json(new JsonObject { ["error"] = new JsonObject { ["message"] = message, ["type"] = "invalid_request_error" } }, statusCode: status);

    sealed record StoredFile(string Id, string Name, string Purpose, byte[] Content, DateTimeOffset CreatedAt, long Seq)
    {
        public JsonObject Describe() => new()
        {
            ["id"] = Id, ["object"] = "file", ["bytes"] = Content.Length, ["created_at"] = CreatedAt.ToUnixTimeSeconds(),
            ["filename"] = Name, ["purpose"] = Purpose, ["status"] = "processed",
        };
    }

    /// <summary>One batch's processing: its answers computed in the background, its state a function of the clock.</summary>
    sealed class Job(FakeBatchApi api, FakeBatch batch, TimeSpan processing, long seq)
    {
        readonly object gate = new();
        readonly List<string> output = [];
        readonly List<string> errors = [];
        Task? work;
        string? validationError;
        bool expire;
        DateTimeOffset? cancelledAt;
        string? outputFileId, errorFileId;
        string? final;

        public FakeBatch Batch => batch;
        public long Seq => seq;

        public void Start(string[] lines) => work = Task.Run(() => RunAsync(lines));

        async Task RunAsync(string[] lines)
        {
            var text = string.Join('\n', lines);
            validationError = text.Contains(FailMarker, StringComparison.Ordinal) ? "The batch was refused: it holds " + FailMarker : Validate(lines);
            if (validationError is not null) return;
            var ids = lines.Select(l => JsonNode.Parse(l)!["custom_id"]!.GetValue<string>()).ToList();
            expire = text.Contains(ExpireMarker, StringComparison.Ordinal)
                     || text.Contains(ExpireOnceMarker, StringComparison.Ordinal) && ids.All(id => api.expiredOnce.TryAdd(id, true));
            // Requests are answered side by side, as a provider works through a batch: one held up holds up no other.
            await Parallel.ForEachAsync(lines.Select((line, n) => (line, n)), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (entry, _) =>
            {
                var (line, n) = entry;
                var node = JsonNode.Parse(line)!.AsObject();
                var id = node["custom_id"]!.GetValue<string>();
                var body = node["body"]!.AsObject();
                var requestId = $"batch_req_{batch.Id}_{n + 1}";
                string result;
                if (expire)
                    result = new JsonObject
                    {
                        ["id"] = requestId, ["custom_id"] = id, ["response"] = null,
                        ["error"] = new JsonObject { ["code"] = "batch_expired", ["message"] = "This request could not be executed before the completion window expired." },
                    }.ToJsonString();
                else if (line.Contains(ErrorMarker, StringComparison.Ordinal) || line.Contains(ErrorOnceMarker, StringComparison.Ordinal) && api.erredOnce.TryAdd(id, true))
                    result = Line(requestId, id, StatusCodes.Status500InternalServerError,
                        new JsonObject { ["error"] = new JsonObject { ["message"] = "fake batch: this request failed", ["type"] = "server_error" } });
                else
                {
                    var (status, answer) = await api.server.CompleteAsync(body, deployment: null, CancellationToken.None);
                    result = Line(requestId, id, status, answer);
                }
                lock (gate)
                {
                    if (cancelledAt is not null) return;
                    (result.Contains("\"status_code\":200", StringComparison.Ordinal) ? output : errors).Add(result);
                }
            });
        }

        string? Validate(string[] lines)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < lines.Length; i++)
            {
                JsonObject? node;
                try
                {
                    node = JsonNode.Parse(lines[i]) as JsonObject;
                }
                catch (JsonException e)
                {
                    return $"line {i + 1}: not JSON ({e.Message})";
                }
                if (node?["custom_id"]?.GetValue<string>() is not { Length: > 0 } id) return $"line {i + 1}: no custom_id";
                if (!seen.Add(id)) return $"line {i + 1}: custom_id {id} is not unique in the batch";
                if (node["method"]?.GetValue<string>() != "POST") return $"line {i + 1}: method must be POST";
                if (node["url"]?.GetValue<string>() != batch.Endpoint) return $"line {i + 1}: url {node["url"]} is not the batch's endpoint {batch.Endpoint}";
                if (node["body"] is not JsonObject body || body["model"]?.GetValue<string>() is not { Length: > 0 } || body["messages"] is not JsonArray)
                    return $"line {i + 1}: body needs a model and messages";
            }
            return null;
        }

        static string Line(string requestId, string customId, int status, JsonObject body) => new JsonObject
        {
            ["id"] = requestId,
            ["custom_id"] = customId,
            ["response"] = new JsonObject { ["status_code"] = status, ["request_id"] = requestId, ["body"] = body },
            ["error"] = null,
        }.ToJsonString();

        public bool Cancel(DateTimeOffset now)
        {
            lock (gate)
            {
                if (final is not null) return false;
                cancelledAt ??= now;
                return true;
            }
        }

        public JsonObject Describe(DateTimeOffset now)
        {
            string status;
            int completed, failed;
            lock (gate)
            {
                var elapsed = now - batch.CreatedAt;
                var ready = work?.IsCompleted == true;
                if (final is not null) status = final;
                else if (validationError is not null && ready) status = Finish("failed");
                else if (cancelledAt is { } at) status = now - at < TimeSpan.FromMilliseconds(200) ? "cancelling" : Finish("cancelled");
                else if (elapsed <= processing * 0.1) status = "validating";
                // Answers not all ready (a held judge, say): in progress however long it takes.
                else if (!ready || elapsed < processing * 0.8) status = "in_progress";
                else if (elapsed < processing) status = "finalizing";
                else status = Finish(expire ? "expired" : "completed");
                var share = processing <= TimeSpan.Zero || final is not null ? 1.0 : Math.Clamp(elapsed / (processing * 0.8), 0, 1);
                var done = status is "completed" or "expired" or "cancelled" or "failed";
                completed = done ? (expire ? 0 : output.Count) : (int)(output.Count * share);
                failed = done ? errors.Count : (int)(errors.Count * share);
            }
            return new JsonObject
            {
                ["id"] = batch.Id, ["object"] = "batch", ["endpoint"] = batch.Endpoint, ["input_file_id"] = batch.InputFileId,
                ["completion_window"] = "24h", ["status"] = status, ["output_file_id"] = outputFileId, ["error_file_id"] = errorFileId,
                ["created_at"] = batch.CreatedAt.ToUnixTimeSeconds(),
                ["errors"] = validationError is null ? null
                    : new JsonObject { ["object"] = "list", ["data"] = new JsonArray(new JsonObject { ["code"] = "invalid_request", ["message"] = validationError }) },
                ["request_counts"] = new JsonObject { ["total"] = batch.Requests, ["completed"] = completed, ["failed"] = failed },
                ["metadata"] = new JsonObject(batch.Metadata.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))),
            };
        }

        /// <summary>The state a batch ends in, with its files written once (under the lock).</summary>
        string Finish(string state)
        {
            if (state != "failed")
            {
                // An expired batch answered nothing in time: everything it held is in its error file.
                var answers = state == "expired" ? [] : output;
                if (answers.Count > 0) outputFileId = api.NewFile($"{batch.Id}_output.jsonl", Encoding.UTF8.GetBytes(string.Join('\n', answers) + "\n"));
                if (errors.Count > 0) errorFileId = api.NewFile($"{batch.Id}_error.jsonl", Encoding.UTF8.GetBytes(string.Join('\n', errors) + "\n"));
            }
            return final = state;
        }
    }
}
