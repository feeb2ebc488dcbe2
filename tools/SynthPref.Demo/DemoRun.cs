using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using SynthPref.Cli;
using SynthPref.Orchestration.Api;
using SynthPref.Orchestration.Reviews;
using SynthPref.Orchestration.Runs;
using SynthPref.Orchestration.Workflow;

namespace SynthPref.Demo;

/// <summary>Drives one demo run through the product's public entry points only: a blob upload and HTTP.</summary>
public sealed class DemoRun(DemoSettings settings)
{
    /// <summary>The blob function's name in functions.metadata, which the Event Grid webhook is addressed by.</summary>
    public const string BlobFunctionName = "StartRunFromBlob";

    const string InputContainer = "synthpref-input";
    const string UploadsContainer = "synthpref-uploads";
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    static readonly string[] Annotators = ["annotator1", "annotator2", "annotator3"];

    readonly HttpClient http = CreateClient(settings);

    /// <summary>Every request carries the function key when one is given: management routes need it on a Functions
    /// host, and the anonymous review routes ignore it.</summary>
    public static HttpClient CreateClient(DemoSettings settings)
    {
        // Paths below are relative, so a host behind a path prefix keeps it; that needs the base to end in '/'.
        var baseUri = settings.Host.AbsoluteUri.EndsWith('/') ? settings.Host : new Uri(settings.Host.AbsoluteUri + "/");
        var client = new HttpClient { BaseAddress = baseUri, Timeout = TimeSpan.FromSeconds(60) };
        if (!string.IsNullOrEmpty(settings.FunctionKey))
            client.DefaultRequestHeaders.Add("x-functions-key", settings.FunctionKey);
        return client;
    }

    public async Task<int> ExecuteAsync(CancellationToken ct)
    {
        var byInputId = PandaLmReplay.Load(Path.Combine(settings.Data, "testset-v1.json"), Path.Combine(settings.Data, "gpt-3.5-turbo-testset-v1.json"))
            .ToDictionary(PandaLmReplay.InputId);
        var outDir = Directory.CreateDirectory(settings.Output).FullName;

        var run = await StartAsync(ct);
        var started = DateTime.UtcNow;
        // A run with nothing to review goes straight on to its report.
        var judged = await WaitForStatusAsync(run.RunId, ct, RunStatus.AwaitingReview, RunStatus.Completed);
        var judging = DateTime.UtcNow - started;

        var reviewStarted = DateTime.UtcNow;
        var submitted = await ReviewAsync(run, byInputId, ct);
        var reviewing = DateTime.UtcNow - reviewStarted;

        var status = await WaitForStatusAsync(run.RunId, ct, RunStatus.Completed);
        var items = judged.Progress.Items;
        Console.WriteLine($"Judged {items} items in {judging.TotalSeconds:0.0} s ({items / judging.TotalSeconds:0.0} items/s, start to review-ready)");
        var report = await GetAsync<JsonElement>($"api/runs/{run.RunId}/report", ct);
        var dataset = await http.GetStringAsync($"api/runs/{run.RunId}/dataset", ct);
        var html = await http.GetStringAsync($"api/runs/{run.RunId}/report.html", ct);
        await File.WriteAllTextAsync(Path.Combine(outDir, "report.json"), report.GetRawText(), ct);
        await File.WriteAllTextAsync(Path.Combine(outDir, "report.html"), html, ct);
        await File.WriteAllTextAsync(Path.Combine(outDir, "dataset.jsonl"), dataset, ct);
        var outputs = status.Outputs!;
        if (outputs.Escalated is not null)
            await File.WriteAllTextAsync(Path.Combine(outDir, "escalated.jsonl"), await http.GetStringAsync($"api/runs/{run.RunId}/escalated", ct), ct);

        Console.WriteLine();
        Console.WriteLine(ReportSummary.Render(report));
        Console.Write(RoundsText(report));
        Console.WriteLine($"Review: {submitted} labels submitted in {reviewing.TotalSeconds:0.0} s; the whole run took {(DateTime.UtcNow - started).TotalSeconds:0.0} s");
        Console.WriteLine("Outputs in Blob Storage:");
        Console.WriteLine($"  report   {outputs.ReportJson}  and  {outputs.ReportHtml}");
        Console.WriteLine($"  dataset  {outputs.Dataset}  ({outputs.DatasetRows} TRL rows)");
        if (outputs.Escalated is not null)
            Console.WriteLine($"  escalated  {outputs.Escalated}  ({outputs.EscalatedRows} pairs no reviewer labelled)");
        Console.WriteLine("Over HTTP:");
        Console.WriteLine($"  {http.BaseAddress}api/runs/{run.RunId}/report.html");
        Console.WriteLine($"  {http.BaseAddress}api/runs/{run.RunId}/dataset");
        if (outputs.Escalated is not null)
            Console.WriteLine($"  {http.BaseAddress}api/runs/{run.RunId}/escalated");
        Console.WriteLine($"Copies: {outDir}/report.json, report.html, dataset.jsonl{(outputs.Escalated is not null ? ", escalated.jsonl" : "")}");
        return 0;
    }

    sealed record DemoRunRef(string RunId, string ReviewToken);

    /// <summary>
    /// Blind review, round by round: each recorded annotator label goes through the review endpoint as that annotator.
    /// The review items say nothing of which input they come from; the run's review key (a management route) does, and
    /// that is how the demo finds the recorded labels. An adaptive run adds items after each round: they appear in
    /// review-items, and are labelled in turn, until the run completes.
    /// </summary>
    async Task<int> ReviewAsync(DemoRunRef run, Dictionary<string, PandaLmItem> byInputId, CancellationToken ct)
    {
        var labelled = new HashSet<string>(StringComparer.Ordinal);
        var submitted = 0;
        while (true)
        {
            var status = await GetAsync<RunStatusResponse>($"api/runs/{run.RunId}", ct);
            if (status.Status == RunStatus.Completed) return submitted;
            if (status.Status == RunStatus.Failed) throw new DemoException($"Run {run.RunId} failed: {status.Error}");
            var fresh = status.Status == RunStatus.AwaitingReview
                ? (await ReviewItemsAsync(run, ct)).Where(i => !labelled.Contains(i.ItemId)).ToList()
                : [];
            if (fresh.Count == 0)
            {
                await Task.Delay(300, ct);
                continue;
            }

            var key = (await GetAsync<ReviewSampleView>($"api/runs/{run.RunId}/review-sample", ct)).Items.ToDictionary(i => i.ItemId);
            var round = fresh.Max(i => key[i.ItemId].Round);
            Console.WriteLine($"Round {round}: {fresh.Count} items sampled for review. Submitting {fresh.Count * Annotators.Length} recorded human labels...");
            await Parallel.ForEachAsync(fresh, new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = ct }, async (item, token) =>
            {
                var source = byInputId[key[item.ItemId].InputId];
                var responseOneFirst = item.First == source.Response1;
                for (var a = 0; a < Annotators.Length; a++)
                {
                    var preference = source.Annotators[a] switch
                    {
                        0 => "tie",
                        1 => responseOneFirst ? "first" : "second",
                        _ => responseOneFirst ? "second" : "first",
                    };
                    await SubmitAsync(run, new SubmitReviewRequest(item.ItemId, Annotators[a], preference), token);
                }
            });
            submitted += fresh.Count * Annotators.Length;
            labelled.UnionWith(fresh.Select(i => i.ItemId));
        }
    }

    async Task<ReviewItemView[]> ReviewItemsAsync(DemoRunRef run, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"api/runs/{run.RunId}/review-items");
        request.Headers.Add(ReviewTokens.Header, run.ReviewToken);
        using var response = await http.SendAsync(request, ct);
        if (!response.IsSuccessStatusCode)
            throw new DemoException($"GET review-items answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(ct)}");
        return (await response.Content.ReadFromJsonAsync<ReviewItemView[]>(Json, ct))!;
    }

    /// <summary>One label; a 429 (the review link's rate limit) or 503 waits as the server asks and sends it again.</summary>
    async Task SubmitAsync(DemoRunRef run, SubmitReviewRequest label, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"api/runs/{run.RunId}/reviews")
            {
                Content = JsonContent.Create(label, options: Json),
            };
            request.Headers.Add(ReviewTokens.Header, run.ReviewToken);
            using var response = await http.SendAsync(request, ct);
            if (response.StatusCode == HttpStatusCode.Accepted) return;
            if (response.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable && attempt < 20)
            {
                await Task.Delay(response.Headers.RetryAfter?.Delta ?? TimeSpan.FromMilliseconds(200 * attempt), ct);
                continue;
            }
            throw new DemoException($"Review of {label.ItemId} was refused: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}");
        }
    }

    /// <summary>The review's rounds as the report has them: the first sample, then what each later round drew and why.</summary>
    public static string RoundsText(JsonElement report)
    {
        var review = report.GetProperty("review");
        if (!review.TryGetProperty("rounds", out var rounds) || rounds.ValueKind != JsonValueKind.Array || rounds.GetArrayLength() == 0) return "";
        var s = new System.Text.StringBuilder();
        var adaptive = review.TryGetProperty("adaptive", out var a) && a.ValueKind == JsonValueKind.Object ? a : (JsonElement?)null;
        s.AppendLine(adaptive is { } target
            ? string.Create(CultureInfo.InvariantCulture,
                $"Review rounds (adaptive: target 95% interval width {target.GetProperty("targetCiWidth").GetDouble():0.###}, " +
                $"at most {(target.GetProperty("maxReviewSampleSize").ValueKind == JsonValueKind.Number ? target.GetProperty("maxReviewSampleSize").GetInt32().ToString(CultureInfo.InvariantCulture) : "all")} items; " +
                $"stopped: {(target.GetProperty("stoppedBy").ValueKind == JsonValueKind.String ? target.GetProperty("stoppedBy").GetString() : "by " + review.GetProperty("endedBy").GetString())}):")
            : "Review rounds:");
        foreach (var round in rounds.EnumerateArray())
        {
            var number = round.GetProperty("round").GetInt32();
            var items = round.GetProperty("sampledItems").GetInt32();
            var categories = round.GetProperty("byCategory").EnumerateObject().Count();
            if (round.TryGetProperty("escalation", out var escalation) && escalation.ValueKind == JsonValueKind.Object)
                s.AppendLine($"  round {number}: {items} escalated pairs (of {escalation.GetProperty("escalatedUnreviewed").GetInt32()} no reviewer had labelled), " +
                    (escalation.GetProperty("threshold").ValueKind == JsonValueKind.Number
                        ? $"under the threshold of {escalation.GetProperty("threshold").GetInt32()} trust points"
                        : "no trust level having met the target"));
            else if (round.GetProperty("widerThanTarget") is { ValueKind: JsonValueKind.Array } wide)
            {
                var drawn = wide.EnumerateArray().Where(w => w.GetProperty("drawn").GetInt32() > 0).ToList();
                var widest = drawn.OrderByDescending(w => w.GetProperty("width").GetDouble()).First();
                var exhausted = wide.GetArrayLength() - drawn.Count;
                var width = widest.GetProperty("width").GetDouble().ToString("0.00", CultureInfo.InvariantCulture);
                s.AppendLine($"  round {number}: {items} items for {drawn.Count} categories wider than the target " +
                    $"(widest: {widest.GetProperty("category").GetString()}, {width} over {widest.GetProperty("votes").GetInt32()} votes)" +
                    (exhausted > 0 ? $"; {exhausted} more had no pairs left" : ""));
            }
            else
                s.AppendLine($"  round {number}: {items} items in {categories} categories (the first sample)");
        }
        return s.ToString();
    }

    async Task<DemoRunRef> StartAsync(CancellationToken ct)
    {
        var blobs = new BlobServiceClient(settings.Storage);
        var blobName = $"pandalm-demo-{DateTime.UtcNow:yyyyMMdd-HHmmss}.jsonl";
        var metadata = new Dictionary<string, string>
        {
            ["name"] = settings.Name,
            ["critiqueRevise"] = "false", // the replay judge has recorded verdicts, not critiques
            ["reviewSampleSize"] = settings.Sample.ToString(CultureInfo.InvariantCulture),
            ["minReviewsPerItem"] = Annotators.Length.ToString(CultureInfo.InvariantCulture),
            ["seed"] = settings.Seed.ToString(CultureInfo.InvariantCulture),
        };
        if (settings.TargetCiWidth is { } width) metadata["targetCiWidth"] = width.ToString(CultureInfo.InvariantCulture);
        if (settings.MaxReviewSampleSize is { } max) metadata["maxReviewSampleSize"] = max.ToString(CultureInfo.InvariantCulture);
        if (settings.TrustTarget is { } trust) metadata["trustTarget"] = trust.ToString(CultureInfo.InvariantCulture);
        if (settings.Escalate is { } escalate) metadata["escalate"] = escalate;
        if (settings.MaxEscalatedReviews is { } cap) metadata["maxEscalatedReviews"] = cap.ToString(CultureInfo.InvariantCulture);

        if (settings.Start == StartMode.Http)
        {
            // synthpref-uploads starts nothing by itself, so the run request is the only start.
            var uploads = blobs.GetBlobContainerClient(UploadsContainer);
            await uploads.CreateIfNotExistsAsync(cancellationToken: ct);
            await uploads.GetBlobClient(blobName).UploadAsync(settings.Input, overwrite: true, ct);
            // The same options, by the same names, as the metadata of an upload.
            var options = new Dictionary<string, object>
            {
                [RunOptionsParser.CritiqueRevise] = false,
                [RunOptionsParser.ReviewSampleSize] = settings.Sample,
                [RunOptionsParser.MinReviewsPerItem] = Annotators.Length,
                [RunOptionsParser.Seed] = settings.Seed,
            };
            if (settings.TargetCiWidth is { } target) options[RunOptionsParser.TargetCiWidth] = target;
            if (settings.MaxReviewSampleSize is { } sampleCap) options[RunOptionsParser.MaxReviewSampleSize] = sampleCap;
            if (settings.TrustTarget is { } trustTarget) options[RunOptionsParser.TrustTarget] = trustTarget;
            if (settings.Escalate is { } mode) options[RunOptionsParser.Escalate] = mode;
            if (settings.MaxEscalatedReviews is { } escalated) options[RunOptionsParser.MaxEscalatedReviews] = escalated;
            var body = new StartRunRequest(settings.Name, null, $"{UploadsContainer}/{blobName}", options);
            using var response = await http.PostAsJsonAsync("api/runs", body, Json, ct);
            if (response.StatusCode != HttpStatusCode.Accepted)
                throw new DemoException($"POST /api/runs answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(ct)}");
            var started = (await response.Content.ReadFromJsonAsync<StartRunResponse>(Json, ct))!;
            Console.WriteLine($"Uploaded {settings.Input} to {UploadsContainer}/{blobName}; run {started.RunId} started over HTTP");
            return new DemoRunRef(started.RunId, started.ReviewToken);
        }

        // Options travel as the blob's metadata.
        var container = blobs.GetBlobContainerClient(InputContainer);
        await container.CreateIfNotExistsAsync(cancellationToken: ct);
        var blob = container.GetBlobClient(blobName);
        var upload = await blob.UploadAsync(settings.Input, new BlobUploadOptions { Metadata = metadata }, ct);
        Console.WriteLine($"Uploaded {settings.Input} to {InputContainer}/{blobName}");
        if (settings.Start == StartMode.EventGrid)
            await DeliverBlobCreatedAsync(blob, upload.Value.ETag.ToString(), new FileInfo(settings.Input).Length, ct);

        var run = await WaitForRunFromBlobAsync(blobName, ct);
        Console.WriteLine($"Run {run.RunId} started by the blob trigger");
        return run;
    }

    /// <summary>
    /// What Event Grid does on Azure: POST the BlobCreated event to the blob extension's webhook, addressed to the
    /// function by its name in functions.metadata and authorised by the host's blobs_extension system key.
    /// </summary>
    async Task DeliverBlobCreatedAsync(BlobClient blob, string etag, long length, CancellationToken ct)
    {
        var events = new[]
        {
            new
            {
                id = Guid.NewGuid().ToString(),
                topic = $"/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/local/providers/Microsoft.Storage/storageAccounts/{blob.AccountName}",
                subject = $"/blobServices/default/containers/{blob.BlobContainerName}/blobs/{blob.Name}",
                eventType = "Microsoft.Storage.BlobCreated",
                eventTime = DateTimeOffset.UtcNow,
                dataVersion = "",
                metadataVersion = "1",
                data = new
                {
                    api = "PutBlob",
                    contentType = "application/octet-stream",
                    contentLength = length,
                    blobType = "BlockBlob",
                    eTag = etag,
                    url = blob.Uri.ToString(),
                },
            },
        };
        var path = $"runtime/webhooks/blobs?functionName=Host.Functions.{BlobFunctionName}&code={Uri.EscapeDataString(settings.BlobsExtensionKey!)}";
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(events) };
        request.Headers.Add("aeg-event-type", "Notification");
        using var response = await http.SendAsync(request, ct);
        if (!response.IsSuccessStatusCode)
            throw new DemoException($"The blob webhook answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(ct)}");
        Console.WriteLine($"Delivered the BlobCreated event to the Functions host ({(int)response.StatusCode})");
    }

    async Task<DemoRunRef> WaitForRunFromBlobAsync(string blobName, CancellationToken ct)
    {
        var until = DateTime.UtcNow.AddMinutes(2);
        while (DateTime.UtcNow < until)
        {
            var runs = await GetAsync<RunSummary[]>("api/runs?take=100", ct);
            if (runs.FirstOrDefault(r => r.Source == $"blob:{InputContainer}/{blobName}") is { } run)
            {
                // Nobody was there to receive an upload's review link, and only its hash is stored: ask for a new one.
                using var link = await http.PostAsync($"api/runs/{run.RunId}/review-link", content: null, ct);
                if (!link.IsSuccessStatusCode)
                    throw new DemoException($"POST review-link answered {(int)link.StatusCode}: {await link.Content.ReadAsStringAsync(ct)}");
                var issued = (await link.Content.ReadFromJsonAsync<JsonElement>(Json, ct)).GetProperty("reviewToken").GetString()!;
                return new DemoRunRef(run.RunId, issued);
            }
            await Task.Delay(500, ct);
        }
        throw new DemoException($"No run was started for {InputContainer}/{blobName}; is the host's blob trigger running " +
                                "(under func start with Azurite, use --start event-grid or --start http)?");
    }

    async Task<RunStatusResponse> WaitForStatusAsync(string runId, CancellationToken ct, params RunStatus[] wanted)
    {
        var until = DateTime.UtcNow.AddMinutes(10);
        var last = "";
        while (DateTime.UtcNow < until)
        {
            var status = await GetAsync<RunStatusResponse>($"api/runs/{runId}", ct);
            if (wanted.Contains(status.Status)) return status;
            if (status.Status == RunStatus.Failed)
                throw new DemoException($"Run {runId} failed: {status.Error}");
            var line = $"  {status.Status}: {status.Progress.ItemsDone}/{status.Progress.Items} items, {status.Progress.PairsWritten} pairs";
            if (line != last) Console.WriteLine(last = line);
            await Task.Delay(500, ct);
        }
        throw new DemoException($"Run {runId} did not reach {string.Join(" or ", wanted)}.");
    }

    async Task<T> GetAsync<T>(string path, CancellationToken ct)
    {
        using var response = await http.GetAsync(path, ct);
        if (!response.IsSuccessStatusCode)
            throw new DemoException($"GET /{path} answered {(int)response.StatusCode}" +
                (response.StatusCode == HttpStatusCode.Unauthorized ? " (a Functions host needs --function-key)" : "") +
                $": {await response.Content.ReadAsStringAsync(ct)}");
        return (await response.Content.ReadFromJsonAsync<T>(Json, ct)) ?? throw new DemoException($"GET /{path} returned nothing.");
    }

}
