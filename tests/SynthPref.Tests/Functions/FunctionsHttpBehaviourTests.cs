using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Azure.Storage.Blobs.Models;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using SynthPref.Functions.Functions;
using SynthPref.Orchestration.Api;
using SynthPref.Orchestration.Health;
using SynthPref.Orchestration.Reviews;
using SynthPref.Orchestration.Runs;
using SynthPref.Orchestration.Storage;
using SynthPref.Orchestration.Workflow;
using SynthPref.Tests.Infrastructure;

namespace SynthPref.Tests.Functions;

/// <summary>
/// The Functions app's HTTP and blob functions, called directly (no Functions host) with a real durable client
/// (<see cref="FunctionsAppFixture"/>). Status codes and bodies are checked against the same cases as the local host's
/// end-to-end tests. Requests arrive as the Functions worker's forwarded-headers middleware leaves them behind the
/// Functions host: with the caller's scheme and host.
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class FunctionsHttpBehaviourTests(PipelineFixture fixture, FunctionsAppFixture app) : IClassFixture<FunctionsAppFixture>, IAsyncLifetime
{
    const string RequestHost = FunctionCall.RequestHost;
    static readonly JsonSerializerOptions Json = SynthPrefApi.Json;

    RunsFunctions Functions => app.Functions;

    public Task InitializeAsync() => app.StartAsync(fixture);

    public Task DisposeAsync() => Task.CompletedTask;

    static object[] TwoItems(string tag) =>
    [
        new { id = "one", prompt = $"{tag} one", category = "c1", response_a = "[[good]] a", response_b = "b" },
        new { id = "two", prompt = $"{tag} two", category = "c2", response_a = "a", response_b = "[[good]] b" },
    ];

    [Fact]
    public async Task Bad_items_are_a_400_naming_every_line_and_field()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var bad = await StartRun(new
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
        Assert.Equal(0, fixture.Llm.Requests.Count(r => r.Messages.Any(m => m.Text.Contains(tag))));
    }

    [Fact]
    public async Task An_item_with_only_response_a_is_named_beside_another_bad_line()
    {
        // Without critique-revise an item with response_a alone yields no pair; another bad line must not hide it.
        var bad = await StartRun(new
        {
            items = new object[]
            {
                new { id = "ok", prompt = "fine", response_a = "a", response_b = "b" },
                new { id = "no-prompt", response_a = "a", response_b = "b" },
                new { id = "a-only", prompt = "p", response_a = "a" },
            },
            options = new { critiqueRevise = false },
        });

        Assert.Equal(400, bad.Status);
        var errors = bad.Json.GetProperty("errors").EnumerateObject().Select(e => e.Name).Order().ToArray();
        Assert.Equal(["line 2.prompt", "line 3.response_b"], errors);
    }

    [Fact]
    public async Task A_body_that_is_not_json_is_a_400()
    {
        var notJson = await Send("POST", "/api/runs", (ctx, ct) => Functions.StartRun(ctx.Request, app.Client, ct), rawBody: "{not json");
        Assert.Equal(400, notJson.Status);
        Assert.True(notJson.Json.GetProperty("errors").TryGetProperty("body", out _), notJson.Body);
    }

    [Fact]
    public async Task A_started_run_is_a_202_with_links_on_the_callers_scheme_and_host()
    {
        var started = await StartRun(new
        {
            items = TwoItems(Guid.NewGuid().ToString("N")[..8]),
            options = new { critiqueRevise = false, reviewSampleSize = 0 },
        });

        Assert.Equal(202, started.Status);
        Assert.Equal(["runId", "statusUri", "reviewUri", "reviewToken"], started.Json.EnumerateObject().Select(p => p.Name));
        var body = started.As<StartRunResponse>();
        Assert.StartsWith("run-", body.RunId);
        Assert.Equal($"https://{RequestHost}/api/runs/{body.RunId}", body.StatusUri);
        Assert.Equal(body.StatusUri, started.Headers.Location.ToString());
        // The token rides in the fragment, which browsers never send to a server, so it stays out of request logs.
        Assert.Equal($"https://{RequestHost}/api/runs/{body.RunId}/review#token={Uri.EscapeDataString(body.ReviewToken)}", body.ReviewUri);
        Assert.NotNull(await app.Client.GetInstanceAsync(body.RunId));
    }

    [Fact]
    public async Task An_unknown_run_is_a_404_problem()
    {
        var unknown = await GetRun("run-unknown");
        Assert.Equal(404, unknown.Status);
        Assert.Equal("application/problem+json", unknown.ContentType);
        Assert.Equal(404, unknown.Json.GetProperty("status").GetInt32());
        Assert.Equal(404, (await Send("GET", "/api/runs/run-unknown/report",
            (ctx, ct) => Functions.GetReport(ctx.Request, "run-unknown", app.Client, ct))).Status);
    }

    [Fact]
    public async Task A_run_moves_forward_to_AwaitingReview_and_its_outputs_are_a_409_until_it_completes()
    {
        var (runId, _, seen) = await StartAwaitingReviewAsync(Guid.NewGuid().ToString("N")[..8]);

        Assert.Equal(seen.Order(), seen);
        var awaiting = (await GetRun(runId)).As<RunStatusResponse>();
        Assert.Equal("fn-http", awaiting.Name);
        Assert.Equal(RunStarter.HttpSource, awaiting.Source);
        Assert.Equal(2, awaiting.Progress.PairsWritten);
        Assert.Equal(2, awaiting.Progress.SampledItems);
        Assert.Null(awaiting.Outputs);
        Assert.Equal(409, (await Send("GET", $"/api/runs/{runId}/report", (ctx, ct) => Functions.GetReport(ctx.Request, runId, app.Client, ct))).Status);
        Assert.Equal(409, (await Send("GET", $"/api/runs/{runId}/dataset", (ctx, ct) => Functions.GetDataset(ctx.Request, runId, app.Client, ct))).Status);
    }

    [Fact]
    public async Task Review_items_need_the_runs_token_and_show_no_input_id_which_the_review_key_gives_the_manager()
    {
        var (runId, token, _) = await StartAwaitingReviewAsync(Guid.NewGuid().ToString("N")[..8]);

        // Review items: no token or a wrong one → 401, and so is the right one in the query, where logs would keep it;
        // the token in the header → 200 with exactly these fields: nothing that links an item to its input or verdict.
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
        Assert.All(items, item => Assert.Equal(["itemId", "prompt", "category", "first", "second", "firstHtml", "secondHtml"],
            item.EnumerateObject().Select(p => p.Name)));
        // Unchanged items answer 304 to their ETag, which a review page polls with.
        var etag = byHeader.Headers.ETag.ToString();
        Assert.Equal(304, (await Send("GET", $"/api/runs/{runId}/review-items", (ctx, ct) =>
        {
            ctx.Request.Headers.IfNoneMatch = etag;
            return Functions.GetReviewItems(ctx.Request, runId, ct);
        }, token: token)).Status);

        // The review key, a management function, maps each item to its input.
        var key = await Send("GET", $"/api/runs/{runId}/review-sample", (ctx, ct) => Functions.GetReviewSample(ctx.Request, runId, ct));
        Assert.Equal(200, key.Status);
        var sample = key.As<ReviewSampleView>();
        Assert.Equal(["one", "two"], sample.Items.Select(i => i.InputId).Order());
        Assert.Equal(byHeader.As<ReviewItemView[]>().Select(i => i.ItemId).Order(), sample.Items.Select(i => i.ItemId).Order());
        Assert.All(sample.Items, i => Assert.Equal(("judge", 1), (i.Source, i.Round)));
        Assert.Equal(1, sample.Round);
    }

    [Fact]
    public async Task A_review_is_checked_for_the_token_then_for_the_label()
    {
        var (runId, token, _) = await StartAwaitingReviewAsync(Guid.NewGuid().ToString("N")[..8]);
        var itemId = (await ReviewItems(runId, token: token)).As<ReviewItemView[]>()[0].ItemId;
        var label = new SubmitReviewRequest(itemId, "ann", "first");

        Assert.Equal(401, (await Review(runId, null, label)).Status);
        Assert.Equal(401, (await Review(runId, "not-the-token", label)).Status);
        Assert.Equal(404, (await Review("run-unknown", token, label)).Status);
        var badLabel = await Review(runId, token, label with { Preference = "A" });
        Assert.Equal(400, badLabel.Status);
        Assert.True(badLabel.Json.GetProperty("errors").TryGetProperty("preference", out _), badLabel.Body);
        var noReviewer = await Review(runId, token, label with { Reviewer = null });
        Assert.Equal(400, noReviewer.Status);
        Assert.True(noReviewer.Json.GetProperty("errors").TryGetProperty("reviewer", out _), noReviewer.Body);
        var unknownItem = await Review(runId, token, label with { ItemId = "item-000000000000" });
        Assert.Equal(404, unknownItem.Status);
        Assert.Contains("item-000000000000", unknownItem.Json.GetProperty("detail").GetString());
        var accepted = await Review(runId, token, label);
        Assert.Equal(202, accepted.Status);
        Assert.Equal("", accepted.Body);
    }

    [Fact]
    public async Task Closing_completes_the_run_and_then_labels_and_closes_are_a_409()
    {
        var (runId, token) = await CompletedRunAsync();

        var itemId = (await ReviewItems(runId, token: token)).As<ReviewItemView[]>()[1].ItemId;
        Assert.Equal(409, (await Review(runId, token, new SubmitReviewRequest(itemId, "ann", "first"))).Status);
        Assert.Equal(409, (await Close(runId, token)).Status);
        Assert.Equal(401, (await Close(runId, "not-the-token")).Status);
    }

    [Fact]
    public async Task A_completed_run_serves_its_report_with_the_vote_and_the_close()
    {
        var (runId, _) = await CompletedRunAsync();

        var report = await Send("GET", $"/api/runs/{runId}/report", (ctx, ct) => Functions.GetReport(ctx.Request, runId, app.Client, ct));
        Assert.Equal(200, report.Status);
        Assert.Equal("application/json", report.ContentType);
        Assert.Equal(runId, report.Json.GetProperty("runId").GetString());
        Assert.Equal("closed", report.Json.GetProperty("review").GetProperty("endedBy").GetString());
        Assert.Equal(1, report.Json.GetProperty("agreement").GetProperty("overall").GetProperty("votes").GetInt32());

        var html = await Send("GET", $"/api/runs/{runId}/report.html", (ctx, ct) => Functions.GetReportHtml(ctx.Request, runId, app.Client, ct));
        Assert.Equal(200, html.Status);
        Assert.Equal("text/html; charset=utf-8", html.ContentType);
        Assert.Contains(runId, html.Body);
    }

    [Fact]
    public async Task A_completed_run_serves_its_dataset_with_one_decisive_pair_per_item()
    {
        var (runId, _) = await CompletedRunAsync();

        Assert.Equal(2, (await GetRun(runId)).As<RunStatusResponse>().Outputs!.DatasetRows);
        var dataset = await Send("GET", $"/api/runs/{runId}/dataset", (ctx, ct) => Functions.GetDataset(ctx.Request, runId, app.Client, ct));
        Assert.Equal(200, dataset.Status);
        Assert.Equal("application/x-ndjson", dataset.ContentType);
        var rows = dataset.Body.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        Assert.Equal(["one", "two"], rows.Select(r => r.GetProperty("id").GetString()).Order());
        Assert.Equal("[[good]] a", rows.Single(r => r.GetProperty("id").GetString() == "one").GetProperty("chosen").GetString());
        Assert.Equal("[[good]] b", rows.Single(r => r.GetProperty("id").GetString() == "two").GetProperty("chosen").GetString());
    }

    [Fact]
    public async Task The_review_page_loads_without_a_token()
    {
        var page = await Send("GET", "/api/runs/run-x/review", (ctx, _) => Functions.ReviewPage(ctx.Request, "run-x"));
        Assert.Equal(200, page.Status);
        Assert.Equal("text/html; charset=utf-8", page.ContentType);
        Assert.Contains("run run-x", page.Body);
        // Only the page's own script runs: the nonce in the policy is the one on its script tag.
        var policy = page.Headers.ContentSecurityPolicy.ToString();
        var nonce = System.Text.RegularExpressions.Regex.Match(policy, "script-src 'nonce-([^']+)'").Groups[1].Value;
        Assert.NotEmpty(nonce);
        Assert.Contains($"<script nonce=\"{nonce}\">", page.Body);
    }

    [Fact]
    public async Task The_run_list_carries_a_run_with_links_on_the_callers_host()
    {
        var (runId, _) = await CompletedRunAsync();

        var list = await Send("GET", "/api/runs", (ctx, ct) => Functions.ListRuns(ctx.Request, app.Client, ct), query: "?take=500");
        Assert.Equal(200, list.Status);
        var listed = Assert.Single(list.As<RunSummary[]>(), r => r.RunId == runId);
        Assert.Equal(RunStatus.Completed, listed.Status);
        Assert.Equal($"https://{RequestHost}/api/runs/{runId}", listed.StatusUri);
    }

    [Fact]
    public async Task A_failed_runs_error_reads_without_an_exception_type()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var name = $"fn-bad-{tag}.jsonl";
        await fixture.Container(StorageNames.UploadsContainer).CreateIfNotExistsAsync();
        await fixture.Container(StorageNames.UploadsContainer).GetBlobClient(name).UploadAsync(BinaryData.FromString("""{"id":"x"}"""));
        var started = (await StartRun(new { inputBlob = $"{StorageNames.UploadsContainer}/{name}" })).As<StartRunResponse>();

        var failed = await WaitFor(started.RunId, RunStatus.Failed);
        Assert.StartsWith($"Input '{StorageNames.UploadsContainer}/{name}'", failed.Error);
        Assert.Contains("line 1, field 'prompt'", failed.Error);
    }

    [Fact]
    public async Task The_blob_function_starts_one_run_per_upload_under_the_blob_run_id()
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
        var function = new BlobInputFunction(app.Services.GetRequiredService<RunStarter>(), new ListLogger<BlobInputFunction>());

        await function.Run(blob, name, app.Client, CancellationToken.None);

        var instance = await app.Client.GetInstanceAsync(expectedId);
        Assert.NotNull(instance);
        var status = (await GetRun(expectedId)).As<RunStatusResponse>();
        Assert.Equal("fn-blob", status.Name);
        Assert.Equal($"blob:{StorageNames.InputContainer}/{name}", status.Source);

        // The same upload again (a redelivered event) starts nothing new.
        await function.Run(blob, name, app.Client, CancellationToken.None);
        Assert.Equal(instance!.CreatedAt, (await app.Client.GetInstanceAsync(expectedId))!.CreatedAt);
        var list = await Send("GET", "/api/runs", (ctx, ct) => Functions.ListRuns(ctx.Request, app.Client, ct), query: "?take=500");
        Assert.Single(list.As<RunSummary[]>(), r => r.Source == $"blob:{StorageNames.InputContainer}/{name}");
        Assert.Equal(2, (await WaitFor(expectedId, RunStatus.Completed)).Progress.PairsWritten);

        // A non-JSONL upload is not input.
        var notes = fixture.Container(StorageNames.InputContainer).GetBlobClient($"fn-notes-{tag}.txt");
        var notesUpload = await notes.UploadAsync(BinaryData.FromString("hello"));
        await function.Run(notes, notes.Name, app.Client, CancellationToken.None);
        Assert.Null(await app.Client.GetInstanceAsync(RunStarter.BlobRunId(StorageNames.InputContainer, notes.Name, notesUpload.Value.ETag.ToString())));
    }

    [Fact]
    public async Task A_refused_upload_is_logged_once_with_its_reason()
    {
        var name = $"fn-badmeta-{Guid.NewGuid():N}.jsonl";
        var blob = fixture.Container(StorageNames.InputContainer).GetBlobClient(name);
        await blob.UploadAsync(BinaryData.FromString("""{"prompt":"p","response_a":"a","response_b":"b"}"""),
            new BlobUploadOptions { Metadata = new Dictionary<string, string> { ["reviewSampleSize"] = "lots" } });
        var log = new ListLogger<BlobInputFunction>();

        await new BlobInputFunction(app.Services.GetRequiredService<RunStarter>(), log).Run(blob, name, app.Client, CancellationToken.None);

        var error = Assert.Single(log.Entries, e => e.Level == LogLevel.Error).Message;
        Assert.Contains(name, error);
        Assert.Equal(1, Occurrences(error, "'lots' is not an integer"));
        Assert.Equal(1, Occurrences(error, "was not started"));
    }

    [Fact]
    public async Task Health_answers_like_the_local_host_with_the_durable_client_reaching_the_task_hub()
    {
        var function = new HealthFunction(app.Services.GetRequiredService<HealthCheckService>(), app.Services.GetRequiredService<DurableClientSlot>());

        var health = await Send("GET", "/api/health", (ctx, ct) => function.Health(ctx.Request, app.Client, ct));

        Assert.Equal(200, health.Status);
        var body = health.As<HealthResponse>();
        var local = (await app.Host.CreateClient().GetFromJsonAsync<HealthResponse>("/api/health", Json))!;
        Assert.Equal(local.Status, body.Status);
        Assert.Equal(local.Checks.Keys.Order(), body.Checks.Keys.Order());
        Assert.All(body.Checks, c => Assert.Equal(local.Checks[c.Key].Status, c.Value.Status));
        Assert.Contains("task hub is reachable", body.Checks[SynthPrefHealthChecks.Durable].Description);

        // Ready is the same answer; live asks only whether the process is up, as on the local host.
        var ready = await Send("GET", "/api/health/ready", (ctx, ct) => function.Ready(ctx.Request, app.Client, ct));
        Assert.Equal(200, ready.Status);
        Assert.Equal(body.Checks.Keys.Order(), ready.As<HealthResponse>().Checks.Keys.Order());
        var live = await Send("GET", "/api/health/live", (ctx, ct) => function.Live(ctx.Request, ct));
        Assert.Equal(200, live.Status);
        Assert.Equal([SynthPrefHealthChecks.Process], live.As<HealthResponse>().Checks.Keys);
        Assert.Equal(live.As<HealthResponse>().Checks.Keys,
            (await app.Host.CreateClient().GetFromJsonAsync<HealthResponse>("/api/health/live", Json))!.Checks.Keys);
    }

    [Fact]
    public async Task Health_is_a_503_naming_the_setting_when_the_judge_is_unusable_as_runs_are()
    {
        await using var services = app.CreateServices(fixture, app.Channel, judgeEndpoint: null);
        var function = new HealthFunction(services.GetRequiredService<HealthCheckService>(), services.GetRequiredService<DurableClientSlot>());

        var health = await Send("GET", "/api/health", (ctx, ct) => function.Health(ctx.Request, app.Client, ct));

        Assert.Equal(503, health.Status);
        Assert.Equal(503, (await Send("GET", "/api/health/ready", (ctx, ct) => function.Ready(ctx.Request, app.Client, ct))).Status);
        // The process is up all the same: a liveness probe must not restart a host for its settings.
        Assert.Equal(200, (await Send("GET", "/api/health/live", (ctx, ct) => function.Live(ctx.Request, ct))).Status);
        var judge = health.As<HealthResponse>().Checks[SynthPrefHealthChecks.Judge];
        Assert.Equal("Unhealthy", judge.Status);
        Assert.Contains(judge.Problems!, p => p.Contains("Llm:Endpoint", StringComparison.Ordinal));
        var starter = ActivatorUtilities.CreateInstance<RunsFunctions>(services);
        var refused = await Send("POST", "/api/runs", (ctx, ct) => starter.StartRun(ctx.Request, app.Client, ct),
            body: new { items = TwoItems("refused") }, requestServices: services);
        Assert.Equal(503, refused.Status);
    }

    /// <summary>The adaptive scenario of <see cref="EndToEnd.AdaptiveReviewTests"/> through the functions, with a cap of 6:
    /// round 1 draws 4 items, round 2 only the 2 the cap leaves, and then the cap ends the rounds.</summary>
    [Fact]
    public async Task Adaptive_review_rounds_run_through_the_functions_up_to_the_cap()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var invalid = await StartRun(new { items = EndToEnd.AdaptiveReviewTests.Items(tag), options = new { targetCiWidth = 2 } });
        Assert.Equal(400, invalid.Status);
        Assert.True(invalid.Json.GetProperty("errors").TryGetProperty("options.targetCiWidth", out _), invalid.Body);

        var started = await StartRun(new
        {
            items = EndToEnd.AdaptiveReviewTests.Items(tag),
            options = new { critiqueRevise = false, reviewSampleSize = 4, minReviewsPerItem = 2, seed = 11, targetCiWidth = 0.5, maxReviewSampleSize = 6 },
        });
        Assert.Equal(202, started.Status);
        var (runId, token) = (started.As<StartRunResponse>().RunId, started.As<StartRunResponse>().ReviewToken);
        await WaitFor(runId, RunStatus.AwaitingReview);

        var labelled = new HashSet<string>();
        async Task LabelNewAsync()
        {
            foreach (var item in (await ReviewItems(runId, token: token)).As<ReviewItemView[]>().Where(i => labelled.Add(i.ItemId)))
            {
                var (r1, r2) = EndToEnd.AdaptiveReviewTests.Labels(item.Category, item.First);
                Assert.Equal(202, (await Review(runId, token, new SubmitReviewRequest(item.ItemId, "r1", r1))).Status);
                Assert.Equal(202, (await Review(runId, token, new SubmitReviewRequest(item.ItemId, "r2", r2))).Status);
            }
        }
        await LabelNewAsync();
        Assert.Equal(4, labelled.Count);
        var until = DateTime.UtcNow.AddSeconds(60);
        while ((await GetRun(runId)).As<RunStatusResponse>().Progress.ReviewRound < 2)
        {
            Assert.True(DateTime.UtcNow < until, "round 2 never came");
            await Task.Delay(200);
        }
        await LabelNewAsync();
        Assert.Equal(6, labelled.Count);
        await WaitFor(runId, RunStatus.Completed);

        var review = (await Send("GET", $"/api/runs/{runId}/report", (ctx, ct) => Functions.GetReport(ctx.Request, runId, app.Client, ct))).Json.GetProperty("review");
        Assert.Equal(6, review.GetProperty("sampledItems").GetInt32());
        Assert.Equal([4, 2], review.GetProperty("rounds").EnumerateArray().Select(r => r.GetProperty("sampledItems").GetInt32()));
        Assert.Equal("max-review-sample-size", review.GetProperty("adaptive").GetProperty("stoppedBy").GetString());
        Assert.Equal(6, review.GetProperty("adaptive").GetProperty("maxReviewSampleSize").GetInt32());
    }

    // ---- runs the tests share ----

    /// <summary>Starts a two-item run with a review sample and waits, through GetRun, until it awaits review; Seen is
    /// every status seen on the way.</summary>
    async Task<(string RunId, string Token, List<RunStatus> Seen)> StartAwaitingReviewAsync(string tag)
    {
        var started = await StartRun(new
        {
            name = "fn-http",
            items = TwoItems(tag),
            options = new { critiqueRevise = false, reviewSampleSize = 10, minReviewsPerItem = 1 },
        });
        Assert.Equal(202, started.Status);
        var body = started.As<StartRunResponse>();
        var seen = new List<RunStatus>();
        await WaitFor(body.RunId, RunStatus.AwaitingReview, seen);
        return (body.RunId, body.ReviewToken, seen);
    }

    static readonly ConcurrentDictionary<FunctionsAppFixture, Lazy<Task<(string, string)>>> Completed = new();

    /// <summary>One run, shared by the tests that read a finished run: one label, then closed through the functions.</summary>
    Task<(string RunId, string Token)> CompletedRunAsync() =>
        Completed.GetOrAdd(app, _ => new Lazy<Task<(string, string)>>(async () =>
        {
            var (runId, token, _) = await StartAwaitingReviewAsync(Guid.NewGuid().ToString("N")[..8]);
            var itemId = (await ReviewItems(runId, token: token)).As<ReviewItemView[]>()[0].ItemId;
            Assert.Equal(202, (await Review(runId, token, new SubmitReviewRequest(itemId, "ann", "first"))).Status);
            Assert.Equal(202, (await Close(runId, token)).Status);
            await WaitFor(runId, RunStatus.Completed);
            return (runId, token);
        })).Value;

    // ---- calling the functions ----

    Task<FnResponse> Send(string method, string path, Func<HttpContext, CancellationToken, Task<IResult>> function,
        object? body = null, string? rawBody = null, string? token = null, string? query = null, IServiceProvider? requestServices = null) =>
        FunctionCall.SendAsync(requestServices ?? app.Services, method, path, function, body, rawBody, token, query);

    Task<FnResponse> StartRun(object body) =>
        Send("POST", "/api/runs", (ctx, ct) => Functions.StartRun(ctx.Request, app.Client, ct), body: body);

    Task<FnResponse> GetRun(string runId) =>
        Send("GET", $"/api/runs/{runId}", (ctx, ct) => Functions.GetRun(ctx.Request, runId, app.Client, ct));

    Task<FnResponse> ReviewItems(string runId, string? token = null, string? query = null) =>
        Send("GET", $"/api/runs/{runId}/review-items", (ctx, ct) => Functions.GetReviewItems(ctx.Request, runId, ct), token: token, query: query);

    Task<FnResponse> Review(string runId, string? token, object body) =>
        Send("POST", $"/api/runs/{runId}/reviews", (ctx, ct) => Functions.SubmitReview(ctx.Request, runId, app.Client, ct), body: body, token: token);

    Task<FnResponse> Close(string runId, string? token) =>
        Send("POST", $"/api/runs/{runId}/reviews/close", (ctx, ct) => Functions.CloseReview(ctx.Request, runId, app.Client, ct), token: token);

    /// <summary>Polls the GetRun function until the run reaches the status, noting each status seen.</summary>
    async Task<RunStatusResponse> WaitFor(string runId, RunStatus target, List<RunStatus>? seen = null)
    {
        var until = DateTime.UtcNow.AddSeconds(120);
        RunStatusResponse? last = null;
        while (DateTime.UtcNow < until)
        {
            var response = await GetRun(runId);
            Assert.True(response.Status == 200, $"GetRun answered {response.Status}: {response.Body}");
            last = response.As<RunStatusResponse>();
            if (seen is not null && (seen.Count == 0 || seen[^1] != last.Status)) seen.Add(last.Status);
            if (last.Status == target) return last;
            if (last.Status == RunStatus.Failed) throw new InvalidOperationException($"Run {runId} failed: {last.Error}\n{app.Host.Log}");
            await Task.Delay(200);
        }
        throw new TimeoutException($"Run {runId} did not reach {target}; last status {last?.Status}\n{app.Host.Log}");
    }

    static int Occurrences(string text, string part) =>
        (text.Length - text.Replace(part, "", StringComparison.Ordinal).Length) / part.Length;

    sealed class ListLogger<T> : ILogger<T>
    {
        public ConcurrentQueue<(LogLevel Level, string Message)> Entries { get; } = new();
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Entries.Enqueue((logLevel, formatter(state, exception)));
    }
}
