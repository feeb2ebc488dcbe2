using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Azure.Storage.Blobs.Models;
using Microsoft.Playwright;
using SynthPref.FakeLlm;
using SynthPref.Orchestration.Runs;
using SynthPref.Tests.Infrastructure;

namespace SynthPref.Tests.EndToEnd;

/// <summary>
/// Issue 18 items 3–5 through the real entry points on both hosts: pairs with an empty or identical response judged and
/// reviewed but never in dataset.jsonl, counted by reason; folded categories and their merges; the status counting
/// pairs written, decisive and unparseable, and failures under one set of names with the route and the report; the
/// provider's error message; the verdict-line tally and its warning; unknown options and metadata keys, empty inputs and
/// broken lines refused as the issue asks; the upload's review-link help; the category chart's caption and no overflow
/// at any width.
/// </summary>
public abstract class DataQualityScenarios(TestPipeline fixture)
{
    [Collection(PipelineCollection.Name)]
    public sealed class OnLocalHost(PipelineFixture fixture) : DataQualityScenarios(fixture);

    [Collection(FunctionsHostCollection.Name), Trait("Host", HostKinds.Functions)]
    public sealed class OnFunctionsHost : DataQualityScenarios
    {
        public OnFunctionsHost(FunctionsPipelineFixture fixture) : base(fixture) => FunctionsPipelineFixture.SkipUnlessAvailable();
    }

    [SkippableFact]
    public async Task Empty_and_identical_pairs_are_judged_and_reviewed_but_never_dataset_rows_and_every_count_agrees()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        // 2 decisive pairs in two spellings of "Yelp"; an empty and an identical pair in two spellings of "Wolfram alpha";
        // 6 pairs whose judge drops the verdict line ([[garbage]]: 2 orders × 2 attempts = 24 answers without it); one
        // item whose judge is down (HTTP 500 with an OpenAI-style body).
        var items = new List<object>
        {
            new { id = "y1", prompt = $"{tag} y1", category = "Yelp", response_a = "[[good]] yes", response_b = "no" },
            new { id = "y2", prompt = $"{tag} y2", category = "yelp.", response_a = "no", response_b = "[[good]] yes" },
            new { id = "w1", prompt = $"{tag} w1", category = "(Wolfram alpha)?", response_a = "[[good]] fine", response_b = "" },
            new { id = "w2", prompt = $"{tag} w2", category = "Wolfram  alpha", response_a = "same", response_b = "same" },
            new { id = "down", prompt = $"{tag} {FakeJudgeResponder.ServerErrorMarker}", category = "other", response_a = "a", response_b = "b" },
        };
        items.AddRange(Enumerable.Range(0, 6).Select(i => (object)new { id = $"g{i}", prompt = $"{tag} [[garbage]] {i}", category = "Math", response_a = "a", response_b = "b" }));
        var run = await fixture.Api.StartAsync(new
        {
            items,
            options = new { critiqueRevise = false, reviewSampleSize = 20, categoryKey = "folded", maxFailedItemsRatio = 1.0, seed = 3 },
        });
        var awaiting = await fixture.Api.WaitForAsync(run.RunId, "AwaitingReview");

        // Reviewable as today: the empty and the identical pair are in the sample.
        var inputs = await fixture.Api.InputIdsAsync(run.RunId);
        var reviewItems = await fixture.Api.ReviewItemsAsync(run);
        Assert.Contains(reviewItems, i => inputs[i.ItemId] == "w1");
        Assert.Contains(reviewItems, i => inputs[i.ItemId] == "w2");
        // Under their folded keys (the unparseable "Math" pairs are never sampled, as before).
        Assert.Equal(["wolfram alpha", "yelp"], reviewItems.Select(i => i.Category).Distinct().Order(StringComparer.Ordinal));

        // The status: pairs written, decisive and unparseable apart; the failures; the judge that drops its verdict line.
        var progress = awaiting.GetProperty("progress");
        Assert.Equal(10, progress.GetProperty("pairsWritten").GetInt32());
        Assert.Equal(6, progress.GetProperty("pairsUnparseable").GetInt32());
        var decisive = progress.GetProperty("pairsDecisive").GetInt32();
        Assert.InRange(decisive, 3, 4); // y1, y2, w1 decisive; w2's identical texts may tie
        Assert.Equal((1, 1, 0), Counts(progress.GetProperty("failureCounts")));
        var lines = progress.GetProperty("verdictLines").GetProperty("default");
        Assert.Equal(24, lines.GetProperty("withoutVerdictLine").GetInt32());
        Assert.Equal(24 + 2 * 4, lines.GetProperty("answers").GetInt32());
        var warning = Assert.Single(progress.GetProperty("warnings").EnumerateArray()).GetString()!;
        Assert.StartsWith("Judge 'default': 24 of its 32 answers so far had no PREFERENCE line", warning);
        Assert.Contains(FakeJudgeResponder.GarbageText, warning);
        // A run started by POST was handed its review link: no help needed.
        Assert.False(awaiting.TryGetProperty("reviewLink", out _));

        Assert.Equal(HttpStatusCode.Accepted, (await fixture.Api.CloseAsync(run.RunId, run.ReviewToken)).StatusCode);
        var done = await fixture.Api.WaitForAsync(run.RunId, "Completed");
        Assert.Equal((1, 1, 0), Counts(done.GetProperty("progress").GetProperty("failureCounts")));

        // The failures route counts the same things under the same names, and the error is the provider's.
        var failures = await fixture.Api.Http.GetFromJsonAsync<JsonElement>($"/api/runs/{run.RunId}/failures");
        Assert.Equal((1, 1, 0), Counts(failures.GetProperty("failureCounts")));
        var failure = Assert.Single(failures.GetProperty("failures").EnumerateArray());
        Assert.Equal("down", failure.GetProperty("inputId").GetString());
        Assert.Equal($"HTTP 500 from the LLM endpoint: {FakeJudgeResponder.ServerErrorMessage} (type server_error)", failure.GetProperty("error").GetString());

        // The report: the same failure counts, the pairs left out by reason, the merges, the tally, the examples.
        var report = await fixture.Api.ReportAsync(run.RunId);
        Assert.Equal((1, 1, 0), Counts(report.GetProperty("failureCounts")));
        var excluded = report.GetProperty("excludedFromDataset");
        Assert.Equal((1, 1), (excluded.GetProperty("emptyResponse").GetInt32(), excluded.GetProperty("identicalResponses").GetInt32()));
        var categories = report.GetProperty("categories");
        Assert.Equal("folded", categories.GetProperty("categoryKey").GetString());
        Assert.Equal(
            ["wolfram alpha: (Wolfram alpha)?, Wolfram  alpha (2)", "yelp: Yelp, yelp. (2)"],
            categories.GetProperty("merges").EnumerateArray().Select(m =>
                $"{m.GetProperty("key").GetString()}: {string.Join(", ", m.GetProperty("spellings").EnumerateArray().Select(s => s.GetString()))} ({m.GetProperty("pairs").GetInt32()})"));
        var judge = Assert.Single(report.GetProperty("judges").GetProperty("panel").EnumerateArray());
        Assert.Equal(24, judge.GetProperty("withoutVerdictLine").GetInt32());
        var example = Assert.Single(report.GetProperty("judges").GetProperty("unparseableExamples").EnumerateArray());
        Assert.Equal((FakeJudgeResponder.GarbageText, 24), (example.GetProperty("output").GetString(), example.GetProperty("count").GetInt32()));
        Assert.StartsWith("g", example.GetProperty("inputId").GetString());

        // dataset.jsonl: only the decisive pairs with two different, non-empty responses, every row with the same fields.
        var dataset = await fixture.Api.DatasetAsync(run.RunId);
        Assert.Equal(["y1", "y2"], dataset.Select(d => d.GetProperty("id").GetString()));
        Assert.All(dataset, d => Assert.Equal(["prompt", "chosen", "rejected", "id", "category", "source", "confidence", "label_source"],
            d.EnumerateObject().Select(p => p.Name)));
        Assert.All(dataset, d => Assert.Equal("yelp", d.GetProperty("category").GetString()));
        Assert.Equal(2, report.GetProperty("datasetRows").GetInt32());

        var html = await fixture.Api.Http.GetStringAsync($"/api/runs/{run.RunId}/report.html");
        Assert.Contains("(Wolfram alpha)? · Wolfram  alpha", html);
        Assert.Contains("and 23 more (24 times)", html);
    }

    /// <summary>Items failed, steps failed, items not started: the same three names in the status, the failures route and the report.</summary>
    internal static (int ItemsFailed, int StepsFailed, int ItemsNotStarted) Counts(JsonElement counts) =>
        (counts.GetProperty("itemsFailed").GetInt32(), counts.GetProperty("stepsFailed").GetInt32(), counts.GetProperty("itemsNotStarted").GetInt32());

    [SkippableFact]
    public async Task Unknown_options_empty_responses_under_rejectEmptyResponses_and_empty_input_blobs_are_400s_before_any_run()
    {
        var before = (await fixture.Api.Http.GetFromJsonAsync<JsonElement[]>("/api/runs?take=500"))!.Length;
        var typo = await fixture.Api.PostRunAsync(new
        {
            items = new object[] { new { prompt = "p", response_a = "a", response_b = "b" } },
            options = new { reviewSampelSize = 3, trustTarget = 0.9, colour = "red" },
        });
        Assert.Equal(HttpStatusCode.BadRequest, typo.StatusCode);
        var errors = (await typo.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
        Assert.Contains("Did you mean 'reviewSampleSize'?", errors.GetProperty("options.reviewSampelSize")[0].GetString());
        Assert.True(errors.TryGetProperty("options.colour", out _), errors.ToString());
        Assert.False(errors.TryGetProperty("options.trustTarget", out _), errors.ToString());

        var empty = await fixture.Api.PostRunAsync(new
        {
            items = new object[]
            {
                new { prompt = "p", response_a = "a", response_b = "b" },
                new { prompt = "p", response_a = "a", response_b = " " },
                new { prompt = "p", response_a = "same", response_b = "same" },
            },
            options = new { rejectEmptyResponses = true },
        });
        Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);
        var problem = await empty.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains("only white space", problem.GetProperty("errors").GetProperty("line 2.response_b")[0].GetString());
        Assert.Contains("identical to response_a", problem.GetProperty("errors").GetProperty("line 3.response_b")[0].GetString());

        var name = $"empty-{Guid.NewGuid():N}.jsonl";
        var uploads = fixture.Container("synthpref-uploads");
        await uploads.CreateIfNotExistsAsync();
        await uploads.GetBlobClient(name).UploadAsync(BinaryData.FromString(""));
        var emptyBlob = await fixture.Api.PostRunAsync(new { inputBlob = $"synthpref-uploads/{name}" });
        Assert.Equal(HttpStatusCode.BadRequest, emptyBlob.StatusCode);
        Assert.Contains("is empty (0 bytes)", (await emptyBlob.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").GetProperty("inputBlob")[0].GetString());
        Assert.Equal(before, (await fixture.Api.Http.GetFromJsonAsync<JsonElement[]>("/api/runs?take=500"))!.Length);
    }

    [SkippableFact]
    public async Task An_upload_with_an_unknown_metadata_key_is_refused_naming_it_and_an_uploaded_run_says_how_to_get_a_review_link()
    {
        var container = fixture.Container("synthpref-input");
        var bad = container.GetBlobClient($"typo-{Guid.NewGuid():N}.jsonl");
        var refused = await bad.UploadAsync(BinaryData.FromString("""{"prompt":"p","response_a":"a","response_b":"b"}"""),
            new BlobUploadOptions { Metadata = new Dictionary<string, string> { ["reviewSampelSize"] = "0" } });
        await fixture.Host.AnnounceUploadAsync(bad);
        var refusedId = await fixture.Api.WaitForRunAsync(RunStarter.BlobRunId("synthpref-input", bad.Name, refused.Value.ETag.ToString()));
        var refusedStatus = await fixture.Api.StatusAsync(refusedId);
        Assert.Equal("Failed", refusedStatus.GetProperty("status").GetString());
        Assert.Contains("'reviewSampelSize' is not a run option or the run's name", refusedStatus.GetProperty("error").GetString());
        Assert.Contains("Did you mean 'reviewSampleSize'?", refusedStatus.GetProperty("error").GetString());

        // A broken line: one line number, the file's.
        var tag = Guid.NewGuid().ToString("N")[..8];
        var good = container.GetBlobClient($"linked-{tag}.jsonl");
        var upload = await good.UploadAsync(BinaryData.FromString($$"""
            {"id":"u1","prompt":"{{tag}} one","response_a":"[[good]] a","response_b":"b"}
            {"id":"u2","prompt":"{{tag}} two","response_a":"a","response_b":"[[good]] b"}
            """), new BlobUploadOptions { Metadata = new Dictionary<string, string> { ["critiqueRevise"] = "false", ["reviewSampleSize"] = "1" } });
        await fixture.Host.AnnounceUploadAsync(good);
        var runId = await fixture.Api.WaitForRunAsync(RunStarter.BlobRunId("synthpref-input", good.Name, upload.Value.ETag.ToString()));
        var status = await fixture.Api.WaitForAsync(runId, "AwaitingReview");
        var help = status.GetProperty("reviewLink");
        Assert.Equal("POST", help.GetProperty("method").GetString());
        Assert.EndsWith($"/api/runs/{runId}/review-link", help.GetProperty("uri").GetString());
        Assert.Contains("revokes every link issued before it", help.GetProperty("note").GetString());
        // Following it gives a working link.
        var link = await fixture.Api.Http.PostAsync(new Uri(help.GetProperty("uri").GetString()!).PathAndQuery, null);
        Assert.Equal(HttpStatusCode.OK, link.StatusCode);
        var token = (await link.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("reviewToken").GetString();
        Assert.Equal(HttpStatusCode.Accepted, (await fixture.Api.CloseAsync(runId, token)).StatusCode);
        await fixture.Api.WaitForAsync(runId, "Completed");

        var broken = container.GetBlobClient($"broken-{tag}.jsonl");
        var brokenUpload = await broken.UploadAsync(BinaryData.FromString(
            "{\"prompt\":\"p\",\"response_a\":\"a\",\"response_b\":\"b\"}\n\n{\"prompt\": \"p\",, \"response_a\":\"a\"}\n"),
            new BlobUploadOptions { Metadata = new Dictionary<string, string> { ["critiqueRevise"] = "false" } });
        await fixture.Host.AnnounceUploadAsync(broken);
        var brokenId = await fixture.Api.WaitForRunAsync(RunStarter.BlobRunId("synthpref-input", broken.Name, brokenUpload.Value.ETag.ToString()));
        var error = (await fixture.Api.WaitForAsync(brokenId, "Failed")).GetProperty("error").GetString()!;
        Assert.Contains("line 3, field '(line)': invalid JSON:", error);
        Assert.Contains("(at byte 16)", error);
        Assert.DoesNotContain("LineNumber", error);
    }

    /// <summary>40 categories, one vote each and all ranked (minCategoryVotes 1), some with long names: the chart shows 30
    /// and its caption says 10 are left out and where they are; at every width from 390 to 1,600 px nothing overflows the
    /// page, no chart text falls outside its chart, numbers stay on one line and the badges follow the legend.</summary>
    [SkippableFact]
    public async Task The_category_chart_says_what_it_leaves_out_and_nothing_is_clipped_from_390_to_1600_px()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var run = await fixture.Api.StartAsync(new
        {
            items = Enumerable.Range(0, 40).Select(i => new
            {
                id = $"c{i}", prompt = $"{tag} c{i}",
                category = i % 7 == 0 ? $"a rather long category name that goes on and on number {i}" : $"category {i}",
                response_a = i % 2 == 0 ? "[[good]] a" : "a", response_b = i % 2 == 0 ? "b" : "[[good]] b",
            }).ToArray(),
            options = new { critiqueRevise = false, reviewSampleSize = 40, minCategoryVotes = 1, seed = 5 },
        });
        await fixture.Api.WaitForAsync(run.RunId, "AwaitingReview");
        var items = await fixture.Api.ReviewItemsAsync(run);
        Assert.Equal(40, items.Length);
        for (var i = 0; i < items.Length; i++)
            Assert.Equal(HttpStatusCode.Accepted, (await fixture.Api.ReviewAsync(run.RunId, run.ReviewToken,
                new { itemId = items[i].ItemId, reviewer = "r1", preference = i % 3 == 0 ? "second" : "first" })).StatusCode);
        await fixture.Api.WaitForAsync(run.RunId, "Completed");

        await using var browser = await ReviewBrowser.LaunchAsync();
        var page = await browser.NewPageAsync(fixture.Host.ManagementKey is { } key ? new Dictionary<string, string> { [ISynthPrefHost.ManagementKeyHeader] = key } : null);
        await page.GotoAsync(new Uri(fixture.Api.Http.BaseAddress!, $"/api/runs/{run.RunId}/report.html").ToString());
        var caption = (await page.Locator("[data-figure=\"agreement.categoryChart.caption\"]").InnerTextAsync()).Trim();
        Assert.EndsWith("The chart shows 30 of the 40 categories with a vote and leaves out 10 (10 ranked); the table below lists every category.", caption);
        Assert.Equal(40, await page.Locator("table.categories tbody tr").CountAsync());

        foreach (var width in new[] { 390, 600, 800, 1024, 1400, 1600 })
        {
            await page.SetViewportSizeAsync(width, 900);
            var problems = await page.EvaluateAsync<string[]>(OverflowCheck);
            Assert.True(problems.Length == 0, $"at {width} px: {string.Join("; ", problems)}");
        }
        await page.SetViewportSizeAsync(390, 900);
        await page.ScreenshotAsync(new() { Path = $"/tmp/report-page-390-{fixture.Kind.ToLowerInvariant()}.png", FullPage = true });
    }

    /// <summary>What the page gets wrong at the current width: the page scrolling sideways, chart text outside its chart,
    /// a number on two lines, text cut off by its box, a badge coloured unlike its legend swatch, "no data" in green.</summary>
    const string OverflowCheck = """
        () => {
          const problems = [];
          const doc = document.documentElement;
          if (doc.scrollWidth > window.innerWidth + 1) problems.push(`page is ${doc.scrollWidth}px wide in a ${window.innerWidth}px window`);
          for (const svg of document.querySelectorAll('svg.chart')) {
            const box = svg.getBoundingClientRect();
            for (const text of svg.querySelectorAll('text')) {
              const r = text.getBoundingClientRect();
              if (r.width === 0) continue;
              if (r.left < box.left - 1 || r.right > box.right + 1 || r.top < box.top - 1 || r.bottom > box.bottom + 1)
                problems.push(`chart ${svg.dataset.chart}: "${text.textContent}" outside the chart`);
            }
          }
          for (const cell of document.querySelectorAll('td.num, th.num')) {
            const range = document.createRange();
            range.selectNodeContents(cell);
            const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
            if (lines.size > 1) problems.push(`number wraps: "${cell.textContent}"`);
          }
          for (const el of document.querySelectorAll('figcaption, h1, h2, h3, dt, dd, p, .badge')) {
            if (el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX !== 'auto') problems.push(`clipped: "${el.textContent.slice(0, 40)}"`);
          }
          const swatch = {};
          for (const s of document.querySelectorAll('#badge-legend .swatch')) swatch[[...s.classList].find(c => c !== 'swatch')] = getComputedStyle(s).backgroundColor;
          for (const b of document.querySelectorAll('.badge')) {
            const kind = [...b.classList].find(c => c !== 'badge');
            if (swatch[kind] !== getComputedStyle(b).backgroundColor) problems.push(`badge "${b.textContent}" (${kind}) is not coloured as the legend says`);
            if (b.textContent.trim() === 'no data' && kind === 'ok') problems.push('"no data" is green');
          }
          return problems;
        }
        """;
}
