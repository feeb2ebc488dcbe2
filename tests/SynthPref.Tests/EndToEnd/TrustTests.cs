using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Azure.Storage.Blobs.Models;
using SynthPref.Orchestration.Api;
using SynthPref.Orchestration.Reviews;
using SynthPref.Orchestration.Runs;
using SynthPref.Orchestration.Storage;
using SynthPref.Tests.Infrastructure;

namespace SynthPref.Tests.EndToEnd;

/// <summary>
/// Trust levels and escalation on the local host, through its HTTP routes, worked by hand.
///
/// 24 judge pairs in one category, judged by a jury of three: default and alpha prefer A ([[good]] in A), contrarian
/// prefers B, so every pair is A by 2 of 3. The fake states high confidence, or medium or low with [[medium]] or [[low]]
/// in the prompt: 8 pairs each. Trust points = the confidence points of the two judges that voted A: 6, 4 and 2.
/// reviewSampleSize 12 is stratified by the judges' confidence: 4 items per level. One reviewer labels each item:
///   high: all 4 agree; medium: the first 3 (in review-items order) agree, the 4th chooses B; low: the first 3 choose B,
///   the 4th says tie (a tie is no decisive majority, so an outcome of 0 and no dataset row).
/// Levels (trustTarget 0.5, trustAlpha 0.1; lower = the 0.1 quantile of Beta(agree, items − agree + 1)):
///   ≥6: 4 of 4, lower 0.1^(1/4) = 0.5623, accepted;  ≥4: 7 of 8, lower 0.5938, accepted;  ≥2: 7 of 12, lower 0.3623, fails.
/// Threshold 4: 16 of 24 pairs trusted (66.7%), the 8 low pairs escalated. Dataset: 8 high and medium pairs nobody
/// reviewed (judges), 11 reviewed pairs with a decisive majority (people; one of them B), 1 left out (the tie);
/// escalated.jsonl: the 4 low pairs nobody reviewed, at 2 trust points.
/// Per judge on the calibration items: default and alpha high 4 of 4, medium 3 of 4, low 0 of 4; contrarian (B) high 0 of
/// 4, medium 1 of 4, low 3 of 4.
/// With escalate: review and maxEscalatedReviews 3, round 2 is the escalation round: 3 of the 4 unreviewed low pairs, most
/// points first and then by pair id, so the three lowest item indexes. The reviewer agrees on the first two (by input id)
/// and chooses B on the third: they join the dataset labelled by people, one overturned; one stays in escalated.jsonl.
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class TrustTests(PipelineFixture fixture)
{
    static readonly string[] Levels = ["high", "medium", "low"];

    public static object[] Items(string tag) =>
        Levels.SelectMany(level => Enumerable.Range(0, 8).Select(i => (object)new
        {
            id = $"{level}-{i}",
            prompt = $"{tag} {level} question {i} {(level == "high" ? "" : $"[[{level}]]")}",
            category = "trust",
            response_a = $"[[good]] {level} answer {i}",
            response_b = $"plain {level} answer {i}",
        })).ToArray();

    public static object Options(bool escalate) => escalate
        ? new
        {
            critiqueRevise = false, judges = new[] { "default", "alpha", "contrarian" }, reviewSampleSize = 12, minReviewsPerItem = 1, seed = 11,
            trustTarget = 0.5, escalate = "review", maxEscalatedReviews = 3,
        }
        : new
        {
            critiqueRevise = false, judges = new[] { "default", "alpha", "contrarian" }, reviewSampleSize = 12, minReviewsPerItem = 1, seed = 11,
            trustTarget = 0.5, escalate = (string?)null, maxEscalatedReviews = (int?)null,
        };

    static string LevelOf(ReviewItemView item) => Levels.First(l => l == "high" ? !item.Prompt.Contains("[[") : item.Prompt.Contains($"[[{l}]]"));

    /// <summary>What the reviewer clicks to agree with the judges (A, the [[good]] text), to choose B, or to tie.</summary>
    static string Choice(ReviewItemView item, string choice) => choice switch
    {
        "agree" => item.First.StartsWith("[[good]]", StringComparison.Ordinal) ? "first" : "second",
        "disagree" => item.First.StartsWith("[[good]]", StringComparison.Ordinal) ? "second" : "first",
        _ => "tie",
    };

    /// <summary>The first sample labelled as the summary says.</summary>
    internal static async Task LabelFirstRoundAsync(Func<string, string, string, Task> submit, IReadOnlyList<ReviewItemView> items)
    {
        Assert.Equal(12, items.Count);
        foreach (var group in items.GroupBy(LevelOf))
        {
            var inLevel = group.ToList();
            Assert.Equal(4, inLevel.Count);
            for (var i = 0; i < inLevel.Count; i++)
            {
                var choice = group.Key switch
                {
                    "high" => "agree",
                    "medium" => i < 3 ? "agree" : "disagree",
                    _ => i < 3 ? "disagree" : "tie",
                };
                await submit(inLevel[i].ItemId, "r1", Choice(inLevel[i], choice));
            }
        }
    }

    /// <summary>The escalation round labelled: agree on the first two by input id, B on the third.</summary>
    internal static async Task LabelEscalationRoundAsync(Func<string, string, string, Task> submit, IReadOnlyList<ReviewItemView> items,
        IReadOnlyDictionary<string, string> inputIds)
    {
        var ordered = items.OrderBy(i => inputIds[i.ItemId], StringComparer.Ordinal).ToList();
        Assert.Equal(3, ordered.Count);
        for (var i = 0; i < ordered.Count; i++)
            await submit(ordered[i].ItemId, "r1", Choice(ordered[i], i < 2 ? "agree" : "disagree"));
    }

    /// <summary>A run of the scenario, labelled through the review API, completed.</summary>
    public static async Task<StartRunResponse> HandWorkedRunAsync(TestPipeline fixture, bool escalate)
    {
        var api = fixture.Api;
        var tag = Guid.NewGuid().ToString("N")[..8];
        var run = await api.StartAsync(new { name = "trust", items = Items(tag), options = Options(escalate) });
        await api.WaitForAsync(run.RunId, "AwaitingReview");
        async Task Submit(string itemId, string reviewer, string preference)
        {
            var response = await api.ReviewAsync(run.RunId, run.ReviewToken, new { itemId, reviewer, preference });
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }
        var first = await api.ReviewItemsAsync(run);
        await LabelFirstRoundAsync(Submit, first);
        if (escalate)
        {
            var all = await WaitForItemsAsync(api, run, 15);
            var key = await api.ReviewSampleAsync(run.RunId);
            await LabelEscalationRoundAsync(Submit, all.Skip(12).ToList(), key.Items.ToDictionary(i => i.ItemId, i => i.InputId));
        }
        await api.WaitForAsync(run.RunId, "Completed");
        return run;
    }

    [Fact]
    public async Task A_jury_run_with_a_trust_target_reports_its_levels_and_splits_the_dataset_at_the_threshold()
    {
        var api = fixture.Api;
        var tag = Guid.NewGuid().ToString("N")[..8];
        var run = await api.StartAsync(new { items = Items(tag), options = Options(escalate: false) });
        var awaiting = await api.WaitForAsync(run.RunId, "AwaitingReview");
        // The status counts the judge pairs by trust points, as the lanes reported them.
        Assert.Equal([("2", 8), ("4", 8), ("6", 8)], awaiting.GetProperty("progress").GetProperty("pairsByTrustPoints").EnumerateObject()
            .Select(p => (p.Name, p.Value.GetInt32())));
        // Each pair's row carries its trust points; the review key shows them to the manager, never to reviewers.
        var rows = await fixture.PairRowsAsync(run.RunId);
        Assert.Equal(24, rows.Count);
        Assert.Equal(8, rows.Count(r => r.GetInt32("TrustPoints") == 4 && r.GetString("InputId")!.StartsWith("medium-", StringComparison.Ordinal)));
        var key = await api.ReviewSampleAsync(run.RunId);
        Assert.All(key.Items, i => Assert.Contains(i.TrustPoints, new int?[] { 2, 4, 6 }));
        Assert.Null(key.EscalationRound);

        await LabelFirstRoundAsync(async (itemId, reviewer, preference) =>
            Assert.Equal(HttpStatusCode.Accepted, (await api.ReviewAsync(run.RunId, run.ReviewToken, new { itemId, reviewer, preference })).StatusCode),
            await api.ReviewItemsAsync(run));
        var status = await api.WaitForAsync(run.RunId, "Completed");

        var trust = (await api.ReportAsync(run.RunId)).GetProperty("trust");
        Assert.Equal((0.5, 0.1, 12), (trust.GetProperty("target").GetDouble(), trust.GetProperty("alpha").GetDouble(), trust.GetProperty("calibrationItems").GetInt32()));
        var levels = trust.GetProperty("levels").EnumerateArray().ToList();
        Assert.Equal([(6, 4, 4, 4, 4), (4, 8, 7, 4, 3), (2, 12, 7, 4, 0)], levels.Select(l => (l.GetProperty("points").GetInt32(),
            l.GetProperty("items").GetInt32(), l.GetProperty("agree").GetInt32(), l.GetProperty("itemsAt").GetInt32(), l.GetProperty("agreeAt").GetInt32())));
        Assert.Equal([0.5623, 0.5938, 0.3623], levels.Select(l => Math.Round(l.GetProperty("lower").GetDouble(), 4)));
        Assert.Equal([1, 0.875, 7 / 12.0], levels.Select(l => l.GetProperty("rate").GetDouble()));
        Assert.Equal([true, true, false], levels.Select(l => l.GetProperty("accepted").GetBoolean()));
        Assert.Equal(4, trust.GetProperty("threshold").GetInt32());
        Assert.Equal((24, 16, 8), (trust.GetProperty("decisivePairs").GetInt32(), trust.GetProperty("trustedPairs").GetInt32(), trust.GetProperty("escalatedPairs").GetInt32()));
        Assert.Equal(2 / 3.0, trust.GetProperty("coverage").GetDouble(), 12);
        Assert.Equal("16 of 24 pairs (66.7%) are trusted: on the 12 reviewed, pairs at or above 4 trust points agreed with people 87.5% " +
                     "of the time (lower bound 59.4% at 90% confidence; target 50%)", trust.GetProperty("statement").GetString());
        var dataset = trust.GetProperty("dataset");
        Assert.Equal((8, 11, 1, 4), (dataset.GetProperty("judgeLabelled").GetInt32(), dataset.GetProperty("humanLabelled").GetInt32(),
            dataset.GetProperty("noMajority").GetInt32(), dataset.GetProperty("escalatedRows").GetInt32()));

        var judges = trust.GetProperty("judges").EnumerateArray().ToDictionary(j => j.GetProperty("judge").GetString()!,
            j => j.GetProperty("byConfidence").EnumerateArray().Select(c => (c.GetProperty("confidence").GetString(), c.GetProperty("items").GetInt32(),
                c.GetProperty("agree").GetInt32())).ToArray());
        Assert.Equal(["default", "alpha", "contrarian"], judges.Keys);
        Assert.Equal([("high", 4, 4), ("medium", 4, 3), ("low", 4, 0)], judges["default"]);
        Assert.Equal(judges["default"], judges["alpha"]);
        Assert.Equal([("high", 4, 0), ("medium", 4, 1), ("low", 4, 3)], judges["contrarian"]);

        var escalation = trust.GetProperty("escalation");
        Assert.Equal(("none", JsonValueKind.Null), (escalation.GetProperty("mode").GetString(), escalation.GetProperty("round").ValueKind));
        Assert.Equal((4, 3, 3, 4), (escalation.GetProperty("reviewed").GetInt32(), escalation.GetProperty("decided").GetInt32(),
            escalation.GetProperty("overturned").GetInt32(), escalation.GetProperty("unreviewed").GetInt32()));

        // dataset.jsonl: 19 rows, each saying who chose; the medium pair the reviewer turned has B chosen.
        var rowsOut = await api.DatasetAsync(run.RunId);
        Assert.Equal(19, rowsOut.Length);
        Assert.Equal(19, (await api.ReportAsync(run.RunId)).GetProperty("datasetRows").GetInt32());
        Assert.Equal(11, rowsOut.Count(r => r.GetProperty("label_source").GetString() == "human"));
        Assert.Equal(8, rowsOut.Count(r => r.GetProperty("label_source").GetString() == "judge"));
        Assert.All(rowsOut.Where(r => r.GetProperty("label_source").GetString() == "judge"),
            r => Assert.DoesNotContain("low", r.GetProperty("id").GetString()));
        Assert.Single(rowsOut, r => r.GetProperty("id").GetString()!.StartsWith("medium-", StringComparison.Ordinal)
            && r.GetProperty("chosen").GetString()!.StartsWith("plain", StringComparison.Ordinal));
        Assert.Equal(3, rowsOut.Count(r => r.GetProperty("id").GetString()!.StartsWith("low-", StringComparison.Ordinal)));

        // escalated.jsonl: the low pairs nobody reviewed, the judges' choice as chosen, with their trust points.
        var outputs = status.GetProperty("outputs");
        Assert.Equal($"synthpref-output/{run.RunId}/escalated.jsonl", outputs.GetProperty("escalated").GetString());
        Assert.Equal(4, outputs.GetProperty("escalatedRows").GetInt32());
        var escalated = await EscalatedAsync(run.RunId);
        Assert.Equal(4, escalated.Length);
        var sampledLow = key.Items.Where(i => i.InputId.StartsWith("low-", StringComparison.Ordinal)).Select(i => i.InputId).ToHashSet();
        Assert.All(escalated, e =>
        {
            Assert.Equal(2, e.GetProperty("trust_points").GetInt32());
            Assert.Equal(e.GetProperty("id").GetString(), e.GetProperty("input_id").GetString());
            Assert.StartsWith("low-", e.GetProperty("input_id").GetString());
            Assert.DoesNotContain(e.GetProperty("input_id").GetString()!, sampledLow);
            Assert.StartsWith("[[good]]", e.GetProperty("chosen").GetString());
            Assert.Equal(("judge", "low"), (e.GetProperty("label_source").GetString(), e.GetProperty("confidence").GetString()));
        });

        var html = await api.Http.GetStringAsync($"/api/runs/{run.RunId}/report.html");
        Assert.Contains("data-chart=\"trust-curve\"", html);
        Assert.Contains("data-chart=\"judge-reliability\"", html);
    }

    [Fact]
    public async Task With_escalate_review_the_unreviewed_escalated_pairs_go_to_people_in_one_more_round()
    {
        var api = fixture.Api;
        var tag = Guid.NewGuid().ToString("N")[..8];
        var run = await api.StartAsync(new { items = Items(tag), options = Options(escalate: true) });
        await api.WaitForAsync(run.RunId, "AwaitingReview");
        var before = (await api.ReviewSampleAsync(run.RunId)).Items.Select(i => i.PairId).ToHashSet();
        await LabelFirstRoundAsync(async (itemId, reviewer, preference) =>
            Assert.Equal(HttpStatusCode.Accepted, (await api.ReviewAsync(run.RunId, run.ReviewToken, new { itemId, reviewer, preference })).StatusCode),
            await api.ReviewItemsAsync(run));

        // The escalation round appears on the same review items, after the first sample.
        var all = await WaitForItemsAsync(api, run, 15);
        var status = await api.StatusAsync(run.RunId);
        Assert.Equal(("AwaitingReview", 2, 2), (status.GetProperty("status").GetString(), status.GetProperty("progress").GetProperty("reviewRound").GetInt32(),
            status.GetProperty("progress").GetProperty("escalationRound").GetInt32()));
        Assert.Equal(2, status.GetProperty("review").GetProperty("escalationRound").GetInt32());
        var key = await api.ReviewSampleAsync(run.RunId);
        Assert.Equal(2, key.EscalationRound);
        var round2 = key.Items.Where(i => i.Round == 2).ToList();
        // The 4 low pairs nobody reviewed all have 2 points, so the pair id decides: the three lowest.
        var lowUnreviewed = Enumerable.Range(0, 24).Select(i => $"{i:D7}-judge").Where(id => string.CompareOrdinal(id, "0000016") >= 0 && !before.Contains(id)).ToList();
        Assert.Equal(lowUnreviewed.Take(3), round2.Select(i => i.PairId).Order(StringComparer.Ordinal));
        Assert.All(round2, i => Assert.Equal(2, i.TrustPoints));
        Assert.Equal(all.Skip(12).Select(i => i.ItemId).Order(StringComparer.Ordinal), round2.Select(i => i.ItemId).Order(StringComparer.Ordinal));

        await LabelEscalationRoundAsync(async (itemId, reviewer, preference) =>
            Assert.Equal(HttpStatusCode.Accepted, (await api.ReviewAsync(run.RunId, run.ReviewToken, new { itemId, reviewer, preference })).StatusCode),
            all.Skip(12).ToList(), key.Items.ToDictionary(i => i.ItemId, i => i.InputId));
        await api.WaitForAsync(run.RunId, "Completed");

        var report = await api.ReportAsync(run.RunId);
        var review = report.GetProperty("review");
        Assert.Equal(("complete", 15), (review.GetProperty("endedBy").GetString(), review.GetProperty("sampledItems").GetInt32()));
        var rounds = review.GetProperty("rounds").EnumerateArray().ToList();
        Assert.False(rounds[0].TryGetProperty("escalation", out _));
        var draw = rounds[1].GetProperty("escalation");
        Assert.Equal((4, 4, 3), (draw.GetProperty("threshold").GetInt32(), draw.GetProperty("escalatedUnreviewed").GetInt32(), draw.GetProperty("drawn").GetInt32()));

        var trust = report.GetProperty("trust");
        // The escalation round's items are no calibration items: the levels are those of the first sample alone.
        Assert.Equal((12, 4, 16, 8), (trust.GetProperty("calibrationItems").GetInt32(), trust.GetProperty("threshold").GetInt32(),
            trust.GetProperty("trustedPairs").GetInt32(), trust.GetProperty("escalatedPairs").GetInt32()));
        var escalation = trust.GetProperty("escalation");
        Assert.Equal(("review", 3, 2, 3, 4), (escalation.GetProperty("mode").GetString(), escalation.GetProperty("maxEscalatedReviews").GetInt32(),
            escalation.GetProperty("round").GetInt32(), escalation.GetProperty("roundItems").GetInt32(), escalation.GetProperty("thresholdAtDraw").GetInt32()));
        Assert.Equal((7, 6, 4, 1), (escalation.GetProperty("reviewed").GetInt32(), escalation.GetProperty("decided").GetInt32(),
            escalation.GetProperty("overturned").GetInt32(), escalation.GetProperty("unreviewed").GetInt32()));
        Assert.StartsWith("The escalation round sent people 3 of the 4 escalated pairs no reviewer had labelled (maxEscalatedReviews 3",
            escalation.GetProperty("statement").GetString());
        var dataset = trust.GetProperty("dataset");
        Assert.Equal((8, 14, 1, 1), (dataset.GetProperty("judgeLabelled").GetInt32(), dataset.GetProperty("humanLabelled").GetInt32(),
            dataset.GetProperty("noMajority").GetInt32(), dataset.GetProperty("escalatedRows").GetInt32()));

        var html = await api.Http.GetStringAsync($"/api/runs/{run.RunId}/report.html");
        Assert.Contains("<td>(escalation) 3 of the 4 escalated pairs no reviewer had labelled, under the threshold of 4 trust points</td>", html);
        Assert.Contains("<dd data-figure=\"trust.escalation.round\">round 2: 3 items</dd>", html);

        Assert.Equal(22, (await api.DatasetAsync(run.RunId)).Length);
        var left = Assert.Single(await EscalatedAsync(run.RunId));
        Assert.Equal(lowUnreviewed[3], $"{int.Parse(left.GetProperty("input_id").GetString()!["low-".Length..]) + 16:D7}-judge");
    }

    [Fact]
    public async Task Trust_options_are_checked_with_400s_naming_the_field_and_a_run_without_them_has_no_escalated_file()
    {
        async Task AssertRefused(object options, string field, string words)
        {
            var response = await fixture.Api.PostRunAsync(new { items = new[] { new { id = "x", prompt = "p", response_a = "a", response_b = "b" } }, options });
            var body = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, body.ToString());
            Assert.Contains(body.GetProperty("errors").GetProperty(field).EnumerateArray(), m => m.GetString()!.Contains(words, StringComparison.Ordinal));
        }

        await AssertRefused(new { trustTarget = 1.2 }, "options.trustTarget", "more than 0 and less than 1");
        await AssertRefused(new { trustTarget = 0.8, reviewSampleSize = 0 }, "options.trustTarget", "reviewSampleSize of at least 1");
        await AssertRefused(new { trustTarget = 0.8, trustAlpha = 0.7 }, "options.trustAlpha", "less than 0.5");
        await AssertRefused(new { escalate = "review" }, "options.escalate", "needs trustTarget");
        await AssertRefused(new { trustTarget = 0.8, escalate = "humans" }, "options.escalate", "not none or review");
        await AssertRefused(new { trustTarget = 0.8, maxEscalatedReviews = 5 }, "options.maxEscalatedReviews", "needs escalate: review");

        // As blob metadata, a value that is not a number fails the run naming the key.
        var name = $"badtrust-{Guid.NewGuid():N}.jsonl";
        var upload = await fixture.Container("synthpref-input").GetBlobClient(name).UploadAsync(
            BinaryData.FromString("""{"prompt":"p","response_a":"a","response_b":"b"}"""),
            new BlobUploadOptions { Metadata = new Dictionary<string, string> { ["trustTarget"] = "most" } });
        var failed = await fixture.Api.WaitForRunAsync(RunStarter.BlobRunId("synthpref-input", name, upload.Value.ETag.ToString()));
        Assert.Contains("trustTarget", (await fixture.Api.WaitForAsync(failed, "Failed")).GetProperty("error").GetString());

        // Without trustTarget: no trust block, label_source null (every row has the same fields), no escalated.jsonl
        // (a 404 that says why).
        var plain = await fixture.Api.StartAsync(new
        {
            items = new[] { new { id = "one", prompt = "plain run", response_a = "[[good]] a", response_b = "b" } },
            options = new { critiqueRevise = false, reviewSampleSize = 0 },
        });
        var done = await fixture.Api.WaitForAsync(plain.RunId, "Completed");
        Assert.Equal(JsonValueKind.Null, done.GetProperty("outputs").GetProperty("escalated").ValueKind);
        Assert.False((await fixture.Api.ReportAsync(plain.RunId)).TryGetProperty("trust", out _));
        Assert.Equal(JsonValueKind.Null, Assert.Single(await fixture.Api.DatasetAsync(plain.RunId)).GetProperty("label_source").ValueKind);
        var missing = await fixture.Api.Http.GetAsync($"/api/runs/{plain.RunId}/escalated");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Contains("only a run with trustTarget escalates pairs", await missing.Content.ReadAsStringAsync());
    }

    async Task<JsonElement[]> EscalatedAsync(string runId)
    {
        var response = await fixture.Api.Http.GetAsync($"/api/runs/{runId}/escalated");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/x-ndjson", response.Content.Headers.ContentType?.MediaType);
        return (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToArray();
    }

    static async Task<ReviewItemView[]> WaitForItemsAsync(SynthPrefApi api, StartRunResponse run, int count)
    {
        var until = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var items = await api.ReviewItemsAsync(run);
            if (items.Length >= count) return items;
            Assert.True(DateTime.UtcNow < until, $"review-items still has {items.Length} items");
            await Task.Delay(250);
        }
    }
}
