using System.Text;
using System.Text.Json;
using Azure.Storage.Blobs.Models;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Http;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SynthPref.Functions.Functions;
using SynthPref.Orchestration.Api;
using SynthPref.Orchestration.Hosting;
using SynthPref.Orchestration.Runs;
using SynthPref.Orchestration.Storage;
using SynthPref.Orchestration.Workflow;
using SynthPref.Tests.Infrastructure;

namespace SynthPref.Tests.Functions;

/// <summary>
/// The Functions app's HTTP and blob functions, called directly (no Functions host) with a real
/// <see cref="DurableTaskClient"/> on the gRPC durable endpoint of a local host over the shared Azurite. That
/// host's worker runs the orchestrations; the functions only see the client, as in Azure. Status codes and
/// bodies are checked against the same cases as the local host's end-to-end tests.
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class FunctionsHttpBehaviourTests(PipelineFixture fixture) : IAsyncLifetime
{
    const string RequestHost = "synthpref-fn.example.net";
    static readonly JsonSerializerOptions Json = SynthPrefApi.Json;

    LocalHostProcess host = null!;
    GrpcChannel channel = null!;
    ServiceProvider services = null!;
    DurableTaskClient client = null!;
    RunsFunctions functions = null!;

    public async Task InitializeAsync()
    {
        var grpcPort = FreePort.Next();
        // A hub of its own; the long poll interval keeps this host's blob watcher out of the blob test (it
        // scans once at start-up, before that test uploads anything).
        host = fixture.CreateHost("fn" + Guid.NewGuid().ToString("N")[..10], fixture.Llm.BaseUrl, new Dictionary<string, string>
        {
            ["DurableTask__GrpcPort"] = grpcPort.ToString(),
            ["BlobTrigger__Enabled"] = "false",
        });
        await host.StartAsync();

        channel = GrpcChannel.ForAddress($"http://127.0.0.1:{grpcPort}");
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["AzureWebJobsStorage"] = fixture.StorageConnectionString,
                // The same judge the host's worker uses; the starter refuses runs without a usable one.
                ["Llm:Provider"] = "OpenAICompatible",
                ["Llm:Endpoint"] = fixture.Llm.BaseUrl.ToString(),
                ["Llm:Model"] = "fake-judge",
            })
            .Build();
        // What the Functions worker's Program.cs registers for the handlers and their typed results.
        services = new ServiceCollection()
            .AddLogging()
            .AddProblemDetails()
            .AddSynthPrefCore(configuration)
            // host.json's defaultVersion stamps new runs under Functions; the host extension applies it to every start.
            .AddDurableTaskClient(b => b.UseGrpc(channel).UseDefaultVersion(OrchestrationVersions.Current))
            .BuildServiceProvider();
        client = services.GetRequiredService<DurableTaskClient>();
        functions = new RunsFunctions(services.GetRequiredService<RunStarter>(), services.GetRequiredService<RunQueries>(),
            services.GetRequiredService<ReviewService>(), services.GetRequiredService<IOptions<ApiOptions>>(),
            services.GetRequiredService<ReviewRateLimiter>());
    }

    public async Task DisposeAsync()
    {
        if (services is not null) await services.DisposeAsync();
        channel?.Dispose();
        if (host is not null) await host.DisposeAsync();
    }

    [Fact]
    public async Task Http_functions_answer_a_whole_run_as_the_local_host_does()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];

        // Bad inline items → 400 naming every line and field; nothing is started.
        var bad = await Send("POST", "/api/runs", (ctx, ct) => functions.StartRun(ctx.Request, client, ct), body: new
        {
            items = new object[]
            {
                new { id = "ok", prompt = $"{tag} fine", response_a = "a", response_b = "b" },
                new { id = "no-prompt", response_a = "a", response_b = "b" },
                new { id = "ok", prompt = $"{tag} dup", response_a = 5 },
            },
        });
        Assert.Equal(400, bad.Status);
        Assert.Equal("application/problem+json", bad.ContentType);
        var errors = bad.Json.GetProperty("errors");
        Assert.True(errors.TryGetProperty("line 2.prompt", out _), bad.Body);
        Assert.True(errors.TryGetProperty("line 3.id", out _), bad.Body);
        Assert.True(errors.TryGetProperty("line 3.response_a", out _), bad.Body);
        Assert.Contains("line 2", bad.Json.GetProperty("detail").GetString());

        // Not JSON → 400 as well, not a 500.
        var notJson = await Send("POST", "/api/runs", (ctx, ct) => functions.StartRun(ctx.Request, client, ct), rawBody: "{not json");
        Assert.Equal(400, notJson.Status);

        // Start → 202, Location = statusUri on the caller's scheme and host, body {runId,statusUri,reviewUri,reviewToken}.
        var started = await Send("POST", "/api/runs", (ctx, ct) => functions.StartRun(ctx.Request, client, ct), body: new
        {
            name = "fn-http",
            items = new object[]
            {
                new { id = "one", prompt = $"{tag} one", category = "c1", response_a = "[[good]] a", response_b = "b" },
                new { id = "two", prompt = $"{tag} two", category = "c2", response_a = "a", response_b = "[[good]] b" },
            },
            options = new { critiqueRevise = false, reviewSampleSize = 10, minReviewsPerItem = 1 },
        });
        Assert.Equal(202, started.Status);
        Assert.Equal(["runId", "statusUri", "reviewUri", "reviewToken"], started.Json.EnumerateObject().Select(p => p.Name));
        var runId = started.Json.GetProperty("runId").GetString()!;
        var token = started.Json.GetProperty("reviewToken").GetString()!;
        Assert.StartsWith("run-", runId);
        Assert.Equal($"https://{RequestHost}/api/runs/{runId}", started.Json.GetProperty("statusUri").GetString());
        Assert.Equal(started.Json.GetProperty("statusUri").GetString(), started.Headers.Location.ToString());
        // The token rides in the fragment, which browsers never send to a server, so it stays out of request logs.
        Assert.Equal($"https://{RequestHost}/api/runs/{runId}/review#token={Uri.EscapeDataString(token)}",
            started.Json.GetProperty("reviewUri").GetString());
        Assert.NotNull(await client.GetInstanceAsync(runId));

        // Unknown run → 404 problem.
        var unknown = await GetRun("run-unknown");
        Assert.Equal(404, unknown.Status);
        Assert.Equal("application/problem+json", unknown.ContentType);
        Assert.Equal(404, unknown.Json.GetProperty("status").GetInt32());

        // Report and dataset before completion → 409.
        var earlyReport = await Send("GET", $"/api/runs/{runId}/report", (ctx, ct) => functions.GetReport(ctx.Request, runId, client, ct));
        Assert.Equal(409, earlyReport.Status);
        Assert.Equal(409, (await Send("GET", $"/api/runs/{runId}/dataset", (ctx, ct) => functions.GetDataset(ctx.Request, runId, client, ct))).Status);

        // Status moves forward only, to AwaitingReview.
        var (awaiting, seen) = await WaitFor(runId, RunStatus.AwaitingReview);
        Assert.Equal(RunStatus.AwaitingReview, seen[^1]);
        Assert.Equal(seen.Order(), seen);
        Assert.Equal(runId, awaiting.GetProperty("runId").GetString());
        Assert.Equal("fn-http", awaiting.GetProperty("name").GetString());
        Assert.Equal("http", awaiting.GetProperty("source").GetString());
        Assert.Equal(2, awaiting.GetProperty("progress").GetProperty("pairsWritten").GetInt32());
        Assert.Equal(2, awaiting.GetProperty("progress").GetProperty("sampledItems").GetInt32());
        Assert.Equal(JsonValueKind.Null, awaiting.GetProperty("outputs").ValueKind);

        // Review items: no token or a wrong one → 401, and so is the right one in the query, where logs would keep it;
        // the token in the header → 200 with exactly six fields.
        Assert.Equal(401, (await ReviewItems(runId)).Status);
        Assert.Equal(401, (await ReviewItems(runId, query: "?token=wrong")).Status);
        Assert.Equal(401, (await ReviewItems(runId, token: "wrong")).Status);
        Assert.Equal(404, (await ReviewItems("run-unknown", token: token)).Status);
        var byQuery = await ReviewItems(runId, query: $"?token={Uri.EscapeDataString(token)}");
        Assert.Equal(401, byQuery.Status);
        Assert.Contains("X-Review-Token", byQuery.Json.GetProperty("detail").GetString());
        var byHeader = await ReviewItems(runId, token: token);
        Assert.Equal(200, byHeader.Status);
        Assert.Equal("application/json; charset=utf-8", byHeader.ContentType);
        var items = byHeader.Json.EnumerateArray().ToArray();
        Assert.Equal(2, items.Length);
        foreach (var item in items)
            Assert.Equal(["itemId", "inputId", "prompt", "category", "first", "second"], item.EnumerateObject().Select(p => p.Name));
        Assert.Equal(["one", "two"], items.Select(i => i.GetProperty("inputId").GetString()).Order());
        var itemId = items[0].GetProperty("itemId").GetString()!;

        // Reviews: token rules, bad label and missing reviewer → 400, unknown item or run → 404, valid → 202.
        var label = new { itemId, reviewer = "ann", preference = "first" };
        Assert.Equal(401, (await Review(runId, null, label)).Status);
        Assert.Equal(401, (await Review(runId, "not-the-token", label)).Status);
        Assert.Equal(404, (await Review("run-unknown", token, label)).Status);
        var badLabel = await Review(runId, token, new { itemId, reviewer = "ann", preference = "A" });
        Assert.Equal(400, badLabel.Status);
        Assert.True(badLabel.Json.GetProperty("errors").TryGetProperty("preference", out _), badLabel.Body);
        var noReviewer = await Review(runId, token, new { itemId, preference = "first" });
        Assert.Equal(400, noReviewer.Status);
        Assert.True(noReviewer.Json.GetProperty("errors").TryGetProperty("reviewer", out _), noReviewer.Body);
        var unknownItem = await Review(runId, token, new { itemId = "item-000000000000", reviewer = "ann", preference = "first" });
        Assert.Equal(404, unknownItem.Status);
        Assert.Contains("item-000000000000", unknownItem.Json.GetProperty("detail").GetString());
        var accepted = await Review(runId, token, label);
        Assert.Equal(202, accepted.Status);
        Assert.Equal("", accepted.Body);

        // Close: wrong token → 401, right one → 202, and the run completes.
        Assert.Equal(401, (await Close(runId, "not-the-token")).Status);
        var closed = await Close(runId, token);
        Assert.Equal(202, closed.Status);
        var (done, _) = await WaitFor(runId, RunStatus.Completed);
        var outputs = done.GetProperty("outputs");
        Assert.Equal(2, outputs.GetProperty("datasetRows").GetInt32());

        // After the phase, labels and a second close are refused.
        Assert.Equal(409, (await Review(runId, token, label)).Status);
        Assert.Equal(409, (await Close(runId, token)).Status);

        // Report → 200 JSON for this run, with the one vote and the close recorded.
        var report = await Send("GET", $"/api/runs/{runId}/report", (ctx, ct) => functions.GetReport(ctx.Request, runId, client, ct));
        Assert.Equal(200, report.Status);
        Assert.Equal("application/json", report.ContentType);
        Assert.Equal(runId, report.Json.GetProperty("runId").GetString());
        Assert.Equal("closed", report.Json.GetProperty("review").GetProperty("endedBy").GetString());
        Assert.Equal(1, report.Json.GetProperty("agreement").GetProperty("overall").GetProperty("votes").GetInt32());

        var html = await Send("GET", $"/api/runs/{runId}/report.html", (ctx, ct) => functions.GetReportHtml(ctx.Request, runId, client, ct));
        Assert.Equal(200, html.Status);
        Assert.Equal("text/html; charset=utf-8", html.ContentType);
        Assert.Contains("<html", html.Body, StringComparison.OrdinalIgnoreCase);

        // Dataset → 200 JSONL, one decisive pair per item.
        var dataset = await Send("GET", $"/api/runs/{runId}/dataset", (ctx, ct) => functions.GetDataset(ctx.Request, runId, client, ct));
        Assert.Equal(200, dataset.Status);
        Assert.Equal("application/x-ndjson", dataset.ContentType);
        var rows = dataset.Body.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        Assert.Equal(["one", "two"], rows.Select(r => r.GetProperty("id").GetString()).Order());
        Assert.Equal("[[good]] a", rows.Single(r => r.GetProperty("id").GetString() == "one").GetProperty("chosen").GetString());
        Assert.Equal("[[good]] b", rows.Single(r => r.GetProperty("id").GetString() == "two").GetProperty("chosen").GetString());

        Assert.Equal(404, (await Send("GET", "/api/runs/run-unknown/report",
            (ctx, ct) => functions.GetReport(ctx.Request, "run-unknown", client, ct))).Status);

        // Review page → 200 HTML for this run (anonymous, no token needed to load it).
        var page = await Send("GET", $"/api/runs/{runId}/review", (ctx, _) => Task.FromResult(functions.ReviewPage(ctx.Request, runId)));
        Assert.Equal(200, page.Status);
        Assert.Equal("text/html; charset=utf-8", page.ContentType);
        Assert.Contains($"run {runId}", page.Body);

        // The run list carries the run with absolute URIs on the caller's host.
        var list = await Send("GET", "/api/runs", (ctx, ct) => functions.ListRuns(ctx.Request, client, ct), query: "?take=500");
        Assert.Equal(200, list.Status);
        var listed = list.Json.EnumerateArray().Single(r => r.GetProperty("runId").GetString() == runId);
        Assert.Equal("Completed", listed.GetProperty("status").GetString());
        Assert.Equal($"https://{RequestHost}/api/runs/{runId}", listed.GetProperty("statusUri").GetString());
    }

    [Fact]
    public async Task Blob_function_starts_one_run_per_upload_under_the_blob_run_id()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var name = $"fn-{tag}.jsonl";
        var blob = fixture.Container(StorageNames.InputContainer).GetBlobClient(name);
        var upload = await blob.UploadAsync(BinaryData.FromString($$"""
            {"id":"b1","prompt":"{{tag}} one","response_a":"[[good]] a","response_b":"b"}
            {"id":"b2","prompt":"{{tag}} two","response_a":"a","response_b":"[[good]] b"}
            """), new BlobUploadOptions
        {
            Metadata = new Dictionary<string, string> { ["critiqueRevise"] = "false", ["reviewSampleSize"] = "0", ["name"] = "fn-blob" },
        });
        var expectedId = RunStarter.BlobRunId(StorageNames.InputContainer, name, upload.Value.ETag.ToString());
        var function = new BlobInputFunction(services.GetRequiredService<RunStarter>(), NullLogger<BlobInputFunction>.Instance);

        await function.Run(blob, name, client, CancellationToken.None);

        // The instance is in this host's hub only through the function (this host's watcher no longer polls).
        var instance = await client.GetInstanceAsync(expectedId);
        Assert.NotNull(instance);
        var status = await GetRun(expectedId);
        Assert.Equal(200, status.Status);
        Assert.Equal(expectedId, status.Json.GetProperty("runId").GetString());
        Assert.Equal("fn-blob", status.Json.GetProperty("name").GetString());
        Assert.Equal($"blob:{StorageNames.InputContainer}/{name}", status.Json.GetProperty("source").GetString());

        // The same upload again (a redelivered event) starts nothing new.
        await function.Run(blob, name, client, CancellationToken.None);
        var again = await client.GetInstanceAsync(expectedId);
        Assert.Equal(instance!.CreatedAt, again!.CreatedAt);
        var list = await Send("GET", "/api/runs", (ctx, ct) => functions.ListRuns(ctx.Request, client, ct), query: "?take=500");
        Assert.Equal(200, list.Status);
        Assert.Single(list.Json.EnumerateArray(), r => r.GetProperty("source").GetString() == $"blob:{StorageNames.InputContainer}/{name}");

        var (done, _) = await WaitFor(expectedId, RunStatus.Completed);
        Assert.Equal(2, done.GetProperty("progress").GetProperty("pairsWritten").GetInt32());

        // A non-JSONL upload is not input.
        var notes = fixture.Container(StorageNames.InputContainer).GetBlobClient($"fn-notes-{tag}.txt");
        var notesUpload = await notes.UploadAsync(BinaryData.FromString("hello"));
        await function.Run(notes, notes.Name, client, CancellationToken.None);
        var notesId = RunStarter.BlobRunId(StorageNames.InputContainer, notes.Name, notesUpload.Value.ETag.ToString());
        Assert.Null(await client.GetInstanceAsync(notesId));
    }

    // ---- calling the functions ----

    sealed record FnResponse(int Status, IHeaderDictionary Headers, string? ContentType, string Body)
    {
        public JsonElement Json => JsonDocument.Parse(Body).RootElement.Clone();
    }

    async Task<FnResponse> Send(string method, string path, Func<HttpContext, CancellationToken, Task<IResult>> function,
        object? body = null, string? rawBody = null, string? token = null, string? query = null)
    {
        var context = new DefaultHttpContext { RequestServices = services };
        var request = context.Request;
        request.Method = method;
        request.Scheme = "https";
        request.Host = new HostString(RequestHost);
        request.Path = path;
        if (query is not null) request.QueryString = new QueryString(query);
        if (body is not null || rawBody is not null)
        {
            var bytes = rawBody is not null ? Encoding.UTF8.GetBytes(rawBody) : JsonSerializer.SerializeToUtf8Bytes(body, Json);
            request.Body = new MemoryStream(bytes);
            request.ContentLength = bytes.Length;
            request.ContentType = "application/json";
        }
        if (token is not null) request.Headers[RunsApi.ReviewTokenHeader] = token;
        var responseBody = new MemoryStream();
        context.Response.Body = responseBody;

        var result = await function(context, CancellationToken.None);
        await result.ExecuteAsync(context);
        return new FnResponse(context.Response.StatusCode, context.Response.Headers, context.Response.ContentType,
            Encoding.UTF8.GetString(responseBody.ToArray()));
    }

    Task<FnResponse> GetRun(string runId) =>
        Send("GET", $"/api/runs/{runId}", (ctx, ct) => functions.GetRun(ctx.Request, runId, client, ct));

    Task<FnResponse> ReviewItems(string runId, string? token = null, string? query = null) =>
        Send("GET", $"/api/runs/{runId}/review-items", (ctx, ct) => functions.GetReviewItems(ctx.Request, runId, ct), token: token, query: query);

    Task<FnResponse> Review(string runId, string? token, object body) =>
        Send("POST", $"/api/runs/{runId}/reviews", (ctx, ct) => functions.SubmitReview(ctx.Request, runId, client, ct), body: body, token: token);

    Task<FnResponse> Close(string runId, string? token) =>
        Send("POST", $"/api/runs/{runId}/reviews/close", (ctx, ct) => functions.CloseReview(ctx.Request, runId, client, ct), token: token);

    /// <summary>Polls the GetRun function until the run reaches the status; returns the last body and every status seen.</summary>
    async Task<(JsonElement Status, List<RunStatus> Seen)> WaitFor(string runId, RunStatus target)
    {
        var seen = new List<RunStatus>();
        var until = DateTime.UtcNow.AddSeconds(120);
        JsonElement last = default;
        while (DateTime.UtcNow < until)
        {
            var response = await GetRun(runId);
            Assert.True(response.Status == 200, $"GetRun answered {response.Status}: {response.Body}");
            last = response.Json;
            var current = Enum.Parse<RunStatus>(last.GetProperty("status").GetString()!);
            if (seen.Count == 0 || seen[^1] != current) seen.Add(current);
            if (current == target) return (last, seen);
            if (current == RunStatus.Failed) throw new InvalidOperationException($"Run {runId} failed: {last}\n{host.Log}");
            await Task.Delay(200);
        }
        throw new TimeoutException($"Run {runId} did not reach {target}; last status {last}\n{host.Log}");
    }
}
