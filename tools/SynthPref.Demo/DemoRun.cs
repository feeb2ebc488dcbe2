using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;

namespace SynthPref.Demo;

/// <summary>Drives one demo run through the product's public entry points only: a blob upload and HTTP.</summary>
public sealed class DemoRun(Options options)
{
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    static readonly string[] Annotators = ["annotator1", "annotator2", "annotator3"];

    readonly HttpClient http = new() { BaseAddress = new Uri(options.Required("host")), Timeout = TimeSpan.FromSeconds(60) };

    public async Task<int> ExecuteAsync()
    {
        var data = options.Required("data");
        var byInputId = PandaLmReplay.Load(Path.Combine(data, "testset-v1.json"), Path.Combine(data, "gpt-3.5-turbo-testset-v1.json"))
            .ToDictionary(PandaLmReplay.InputId);
        var input = options.Required("input");
        var outDir = Directory.CreateDirectory(options.Required("out")).FullName;
        var storage = options.Optional("storage") ?? Environment.GetEnvironmentVariable("AzureWebJobsStorage") ?? "UseDevelopmentStorage=true";

        // 1. Upload: the blob trigger starts the run, with options from the blob's metadata.
        var container = new BlobServiceClient(storage).GetBlobContainerClient("synthpref-input");
        await container.CreateIfNotExistsAsync();
        var blobName = $"pandalm-demo-{DateTime.UtcNow:yyyyMMdd-HHmmss}.jsonl";
        await container.GetBlobClient(blobName).UploadAsync(File.OpenRead(input), new BlobUploadOptions
        {
            Metadata = new Dictionary<string, string>
            {
                ["name"] = "PandaLM demo",
                ["critiqueRevise"] = "false", // the replay judge has recorded verdicts, not critiques
                ["reviewSampleSize"] = options.Int("sample", 20).ToString(CultureInfo.InvariantCulture),
                ["minReviewsPerItem"] = Annotators.Length.ToString(CultureInfo.InvariantCulture),
                ["seed"] = options.Int("seed", 42).ToString(CultureInfo.InvariantCulture),
            },
        });
        Console.WriteLine($"Uploaded {input} to synthpref-input/{blobName}");

        var run = await WaitForRunFromBlobAsync(blobName);
        Console.WriteLine($"Run {run.RunId} started by the blob trigger");
        var started = DateTime.UtcNow;
        // A run with nothing to review goes straight on to its report.
        var judged = await WaitForStatusAsync(run.RunId, "AwaitingReview", "Completed");
        var judging = DateTime.UtcNow - started;

        // 2. Blind review: each recorded annotator label goes through the review endpoint as that annotator.
        using var itemsRequest = new HttpRequestMessage(HttpMethod.Get, $"/api/runs/{run.RunId}/review-items");
        itemsRequest.Headers.Add("X-Review-Token", run.ReviewToken);
        using var itemsResponse = await http.SendAsync(itemsRequest);
        itemsResponse.EnsureSuccessStatusCode();
        var sampled = (await itemsResponse.Content.ReadFromJsonAsync<ReviewItem[]>(Json))!;
        Console.WriteLine($"{sampled.Length} items sampled for review. Submitting {sampled.Length * Annotators.Length} recorded human labels...");
        foreach (var item in sampled)
        {
            var source = byInputId[item.InputId];
            var responseOneFirst = item.First == source.Response1;
            for (var a = 0; a < Annotators.Length; a++)
            {
                var preference = source.Annotators[a] switch
                {
                    0 => "tie",
                    1 => responseOneFirst ? "first" : "second",
                    _ => responseOneFirst ? "second" : "first",
                };
                using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/runs/{run.RunId}/reviews")
                {
                    Content = JsonContent.Create(new { itemId = item.ItemId, reviewer = Annotators[a], preference }),
                };
                request.Headers.Add("X-Review-Token", run.ReviewToken);
                var response = await http.SendAsync(request);
                if (response.StatusCode != HttpStatusCode.Accepted)
                    throw new InvalidOperationException($"Review of {item.ItemId} was refused: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            }
        }

        var status = await WaitForStatusAsync(run.RunId, "Completed");
        var items = judged.GetProperty("progress").GetProperty("items").GetInt32();
        Console.WriteLine($"Judged {items} items in {judging.TotalSeconds:0.0} s ({items / judging.TotalSeconds:0.0} items/s, upload to review-ready)");
        var report = await GetAsync<JsonElement>($"/api/runs/{run.RunId}/report");
        var dataset = await http.GetStringAsync($"/api/runs/{run.RunId}/dataset");
        var html = await http.GetStringAsync($"/api/runs/{run.RunId}/report.html");
        await File.WriteAllTextAsync(Path.Combine(outDir, "report.json"), report.GetRawText());
        await File.WriteAllTextAsync(Path.Combine(outDir, "report.html"), html);
        await File.WriteAllTextAsync(Path.Combine(outDir, "dataset.jsonl"), dataset);

        Console.WriteLine();
        Console.WriteLine(Summary.Render(report));
        var outputs = status.GetProperty("outputs");
        Console.WriteLine("Outputs in Blob Storage:");
        Console.WriteLine($"  report   {outputs.GetProperty("reportJson").GetString()}  and  {outputs.GetProperty("reportHtml").GetString()}");
        Console.WriteLine($"  dataset  {outputs.GetProperty("dataset").GetString()}  ({outputs.GetProperty("datasetRows").GetInt32()} TRL rows)");
        Console.WriteLine("Over HTTP:");
        Console.WriteLine($"  {http.BaseAddress}api/runs/{run.RunId}/report.html");
        Console.WriteLine($"  {http.BaseAddress}api/runs/{run.RunId}/dataset");
        Console.WriteLine($"Copies: {outDir}/report.json, report.html, dataset.jsonl");
        return 0;
    }

    async Task<RunSummary> WaitForRunFromBlobAsync(string blobName)
    {
        var until = DateTime.UtcNow.AddMinutes(2);
        while (DateTime.UtcNow < until)
        {
            var runs = await GetAsync<RunSummary[]>("/api/runs?take=100");
            if (runs.FirstOrDefault(r => r.Source == $"blob:synthpref-input/{blobName}") is { } run)
            {
                // Nobody was there to receive an upload's review link, and only its hash is stored: ask for a new one.
                using var link = await http.PostAsync($"/api/runs/{run.RunId}/review-link", content: null);
                link.EnsureSuccessStatusCode();
                var issued = (await link.Content.ReadFromJsonAsync<JsonElement>(Json)).GetProperty("reviewToken").GetString()!;
                return run with { ReviewToken = issued };
            }
            await Task.Delay(500);
        }
        throw new TimeoutException($"No run was started for synthpref-input/{blobName}; is the host's blob trigger running?");
    }

    async Task<JsonElement> WaitForStatusAsync(string runId, params string[] wanted)
    {
        var until = DateTime.UtcNow.AddMinutes(10);
        var last = "";
        while (DateTime.UtcNow < until)
        {
            var status = await GetAsync<JsonElement>($"/api/runs/{runId}");
            var current = status.GetProperty("status").GetString()!;
            if (wanted.Contains(current)) return status;
            if (current == "Failed")
                throw new InvalidOperationException($"Run {runId} failed: {status.GetProperty("error")}");
            var progress = status.GetProperty("progress");
            var line = $"  {current}: {progress.GetProperty("itemsDone")}/{progress.GetProperty("items")} items, {progress.GetProperty("pairsWritten")} pairs";
            if (line != last) Console.WriteLine(last = line);
            await Task.Delay(500);
        }
        throw new TimeoutException($"Run {runId} did not reach {string.Join(" or ", wanted)}.");
    }

    async Task<T> GetAsync<T>(string path) =>
        (await http.GetFromJsonAsync<T>(path, Json)) ?? throw new InvalidOperationException($"GET {path} returned nothing.");

    sealed record RunSummary(string RunId, string Source, string Status, string ReviewToken = "");
    sealed record ReviewItem(string ItemId, string InputId, string First, string Second);
}
