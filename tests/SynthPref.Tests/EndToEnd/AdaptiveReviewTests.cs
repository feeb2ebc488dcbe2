using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Azure.Storage.Blobs.Models;
using SynthPref.Orchestration.Reviews;
using SynthPref.Orchestration.Runs;
using SynthPref.Tests.Infrastructure;

namespace SynthPref.Tests.EndToEnd;

/// <summary>
/// Adaptive review on the local host, through its HTTP routes and blob trigger. The scenario is worked by hand:
///
/// 24 judge pairs, 12 in "sure" and 12 in "unsure"; the fake judge prefers A in every one ([[good]] in A). Two reviewers
/// label each item (minReviewsPerItem 2): in "sure" both agree with the judge; in "unsure" r1 agrees and r2 does not, so
/// that category's agreement is exactly one half. z = 1.959964, z² = 3.8415; target width 0.5.
///   Round 1, reviewSampleSize 4: two items per category (12 and 12 of 24).
///     sure:   4 votes, all agree: width z²/(4 + z²) = .4899 ≤ .5, met.
///     unsure: 4 votes, half agree: width z/sqrt(4 + z²) = .6999 > .5. Votes needed at p = ½: (z/.5)² − z² = 11.52 → 12,
///             so 8 more votes, 2 per item: 4 items.
///   Round 2: 4 "unsure" items. unsure: 12 votes, width z/sqrt(12 + z²) = 1.959964/3.98014 = .4924 ≤ .5: every
///   category meets the target.
/// With maxReviewSampleSize 6, round 2 may add only 2 items; unsure then has 8 votes (width .5696) and wants 2 more
/// items, but the cap is reached.
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class AdaptiveReviewTests(PipelineFixture fixture)
{
    public static object[] Items(string tag) =>
        Enumerable.Range(0, 12).SelectMany(i => new object[]
        {
            new { id = $"sure-{i}", prompt = $"{tag} sure {i}", category = "sure", response_a = $"[[good]] sure answer {i}", response_b = $"other {i}" },
            new { id = $"unsure-{i}", prompt = $"{tag} unsure {i}", category = "unsure", response_a = $"[[good]] unsure answer {i}", response_b = $"other {i}" },
        }).ToArray();

    /// <summary>What r1 and r2 click on an item, given which text is shown first (the judge's choice, A, starts with [[good]]).</summary>
    public static (string R1, string R2) Labels(string category, string first)
    {
        var judgeChoice = first.StartsWith("[[good]]", StringComparison.Ordinal) ? "first" : "second";
        var other = judgeChoice == "first" ? "second" : "first";
        return (judgeChoice, category == "sure" ? judgeChoice : other);
    }

    [Fact]
    public async Task An_upload_with_a_target_reviews_in_rounds_until_every_category_meets_it()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var name = $"adaptive-{tag}.jsonl";
        var jsonl = string.Concat(Items(tag).Select(i => JsonSerializer.Serialize(i) + "\n"));
        // Options as blob metadata, as an upload carries them.
        var upload = await fixture.Container("synthpref-input").GetBlobClient(name).UploadAsync(BinaryData.FromString(jsonl), new BlobUploadOptions
        {
            Metadata = new Dictionary<string, string>
            {
                ["critiqueRevise"] = "false", ["reviewSampleSize"] = "4", ["minReviewsPerItem"] = "2", ["seed"] = "11", ["targetCiWidth"] = "0.5",
            },
        });
        var runId = await fixture.Api.WaitForRunAsync(RunStarter.BlobRunId("synthpref-input", name, upload.Value.ETag.ToString()));
        var link = await (await fixture.Api.Http.PostAsync($"/api/runs/{runId}/review-link", null)).Content.ReadFromJsonAsync<JsonElement>();
        var token = link.GetProperty("reviewToken").GetString()!;
        var run = new Orchestration.Api.StartRunResponse(runId, "", "", token);

        var status = await fixture.Api.WaitForAsync(runId, "AwaitingReview");
        Assert.Equal(1, status.GetProperty("progress").GetProperty("reviewRound").GetInt32());
        Assert.Equal(0.5, status.GetProperty("review").GetProperty("adaptive").GetProperty("targetCiWidth").GetDouble());

        var round1 = await fixture.Api.ReviewItemsAsync(run);
        Assert.Equal(4, round1.Length);
        Assert.Equal([2, 2], round1.GroupBy(i => i.Category).Select(g => g.Count()));
        await LabelAsync(run, round1);

        // Round 2 appears in review-items without anything else: four more "unsure" items after the first four.
        var all = await WaitForItemsAsync(run, 8);
        Assert.Equal(round1.Select(i => i.ItemId), all.Take(4).Select(i => i.ItemId));
        Assert.All(all.Skip(4), i => Assert.Equal("unsure", i.Category));
        status = await fixture.Api.StatusAsync(runId);
        Assert.Equal(2, status.GetProperty("progress").GetProperty("reviewRound").GetInt32());
        Assert.Equal(8, status.GetProperty("progress").GetProperty("sampledItems").GetInt32());
        var key = await fixture.Api.ReviewSampleAsync(runId);
        Assert.Equal(2, key.Round);
        Assert.Equal([1, 1, 1, 1, 2, 2, 2, 2], key.Items.Select(i => i.Round));
        Assert.All(key.Items, i => Assert.Equal("judge", i.Source));

        await LabelAsync(run, all.Skip(4).ToArray());
        await fixture.Api.WaitForAsync(runId, "Completed");

        var report = await fixture.Api.ReportAsync(runId);
        var review = report.GetProperty("review");
        Assert.Equal("complete", review.GetProperty("endedBy").GetString());
        Assert.Equal(8, review.GetProperty("sampledItems").GetInt32());
        Assert.Equal(16, review.GetProperty("votes").GetInt32());
        var rounds = review.GetProperty("rounds").EnumerateArray().ToArray();
        Assert.Equal([4, 4], rounds.Select(r => r.GetProperty("sampledItems").GetInt32()));
        Assert.Equal(2, rounds[0].GetProperty("byCategory").GetProperty("sure").GetInt32());
        Assert.Equal(JsonValueKind.Null, rounds[0].GetProperty("widerThanTarget").ValueKind);
        Assert.Equal(["unsure"], rounds[1].GetProperty("byCategory").EnumerateObject().Select(p => p.Name));
        var wide = Assert.Single(rounds[1].GetProperty("widerThanTarget").EnumerateArray());
        Assert.Equal(("unsure", 4, 2, 4), (wide.GetProperty("category").GetString(), wide.GetProperty("votes").GetInt32(),
            wide.GetProperty("agree").GetInt32(), wide.GetProperty("drawn").GetInt32()));
        Assert.Equal(0.6999, wide.GetProperty("width").GetDouble(), 4);
        var adaptive = review.GetProperty("adaptive");
        Assert.Equal("targets-met", adaptive.GetProperty("stoppedBy").GetString());
        Assert.Equal(JsonValueKind.Null, adaptive.GetProperty("maxReviewSampleSize").ValueKind);
        // The page shows the same rounds: the first sample, then the round drawn for the one category still too wide.
        var html = await fixture.Api.Http.GetStringAsync($"/api/runs/{runId}/report.html");
        Assert.Contains("rounds stopped: targets-met", html);
        Assert.Matches(@"<tr><td class=""num"">1</td><td class=""num"">4</td><td>\s*the first sample\s*</td></tr>", html);
        Assert.Matches(@"<tr><td class=""num"">2</td><td class=""num"">4</td><td>\s*<details><summary>1 category wider than the target</summary>", html);
        Assert.Contains("<tr><td>unsure</td><td class=\"num\">0.700</td><td class=\"num\">4</td><td class=\"num\">4</td></tr>", html);

        var byCategory = report.GetProperty("agreement").GetProperty("byCategory");
        Assert.Equal((4, 4), (byCategory.GetProperty("sure").GetProperty("votes").GetInt32(), byCategory.GetProperty("sure").GetProperty("agree").GetInt32()));
        Assert.Equal((12, 6), (byCategory.GetProperty("unsure").GetProperty("votes").GetInt32(), byCategory.GetProperty("unsure").GetProperty("agree").GetInt32()));
        var unsureCi = byCategory.GetProperty("unsure").GetProperty("ci95").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        Assert.Equal(0.4924, unsureCi[1] - unsureCi[0], 4);
    }

    [Fact]
    public async Task Without_a_target_review_is_one_round_as_before()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var run = await fixture.Api.StartAsync(new
        {
            items = Items(tag),
            options = new { critiqueRevise = false, reviewSampleSize = 4, minReviewsPerItem = 2, seed = 11 },
        });
        await fixture.Api.WaitForAsync(run.RunId, "AwaitingReview");
        await LabelAsync(run, await fixture.Api.ReviewItemsAsync(run));
        await fixture.Api.WaitForAsync(run.RunId, "Completed");

        var review = (await fixture.Api.ReportAsync(run.RunId)).GetProperty("review");
        Assert.Equal(4, review.GetProperty("sampledItems").GetInt32());
        Assert.Equal([4], review.GetProperty("rounds").EnumerateArray().Select(r => r.GetProperty("sampledItems").GetInt32()));
        Assert.Equal(JsonValueKind.Null, review.GetProperty("adaptive").ValueKind);
    }

    [Fact]
    public async Task The_options_are_checked_with_400s_naming_the_field()
    {
        async Task AssertRefused(object options, string field, string words)
        {
            var response = await fixture.Api.PostRunAsync(new { items = new[] { new { id = "x", prompt = "p", response_a = "a", response_b = "b" } }, options });
            var body = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, body.ToString());
            var messages = body.GetProperty("errors").GetProperty(field).EnumerateArray().Select(e => e.GetString()).ToList();
            Assert.Contains(messages, m => m!.Contains(words, StringComparison.Ordinal));
        }

        await AssertRefused(new { targetCiWidth = 0 }, "options.targetCiWidth", "at least 0.01 and less than 1");
        await AssertRefused(new { targetCiWidth = 1.0 }, "options.targetCiWidth", "got 1");
        await AssertRefused(new { maxReviewSampleSize = 50 }, "options.maxReviewSampleSize", "needs targetCiWidth");
        await AssertRefused(new { targetCiWidth = 0.2, reviewSampleSize = 30, maxReviewSampleSize = 10 }, "options.maxReviewSampleSize",
            "at least reviewSampleSize (30)");
        await AssertRefused(new { targetCiWidth = 0.2, maxReviewSampleSize = 5 }, "options.maxReviewSampleSize", "at least reviewSampleSize (20)");

        // As blob metadata, a value that is not a number fails the run naming the key.
        var name = $"badtarget-{Guid.NewGuid():N}.jsonl";
        var upload = await fixture.Container("synthpref-input").GetBlobClient(name).UploadAsync(
            BinaryData.FromString("""{"prompt":"p","response_a":"a","response_b":"b"}"""),
            new BlobUploadOptions { Metadata = new Dictionary<string, string> { ["targetCiWidth"] = "narrow" } });
        var runId = await fixture.Api.WaitForRunAsync(RunStarter.BlobRunId("synthpref-input", name, upload.Value.ETag.ToString()));
        var status = await fixture.Api.StatusAsync(runId);
        Assert.Equal("Failed", status.GetProperty("status").GetString());
        Assert.Contains("targetCiWidth", status.GetProperty("error").GetString());
    }

    async Task LabelAsync(Orchestration.Api.StartRunResponse run, IEnumerable<ReviewItemView> items)
    {
        foreach (var item in items)
        {
            var (r1, r2) = Labels(item.Category, item.First);
            foreach (var (reviewer, preference) in new[] { ("r1", r1), ("r2", r2) })
            {
                var response = await fixture.Api.ReviewAsync(run.RunId, run.ReviewToken, new { itemId = item.ItemId, reviewer, preference });
                Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            }
        }
    }

    async Task<ReviewItemView[]> WaitForItemsAsync(Orchestration.Api.StartRunResponse run, int count)
    {
        var until = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var items = await fixture.Api.ReviewItemsAsync(run);
            if (items.Length >= count) return items;
            Assert.True(DateTime.UtcNow < until, $"review-items still has {items.Length} items");
            await Task.Delay(250);
        }
    }
}
