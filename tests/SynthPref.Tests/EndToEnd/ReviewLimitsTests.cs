using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Azure.Data.Tables;
using SynthPref.Orchestration.Storage;
using SynthPref.Tests.Infrastructure;

namespace SynthPref.Tests.EndToEnd;

/// <summary>What one review link can do is bounded (reviewers per item, names, body size, rate), and the link's
/// token is kept only as a hash, travels only in a header, and never reaches a log.</summary>
[Collection(PipelineCollection.Name)]
public sealed class ReviewLimitsTests(PipelineFixture fixture)
{
    static object[] Items(string tag, int count) => Enumerable.Range(0, count).Select(i => (object)new
    {
        id = $"i{i}", prompt = $"{tag} prompt {i}", response_a = $"[[good]] answer {i}", response_b = $"answer {i}",
    }).ToArray();

    [Fact]
    public async Task Reviewers_per_item_names_and_body_size_are_limited_with_clear_errors()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var run = await fixture.Api.StartAsync(new
        {
            items = Items(tag, 1),
            options = new { critiqueRevise = false, reviewSampleSize = 1, minReviewsPerItem = 10, maxReviewersPerItem = 3 },
        });
        await fixture.Api.WaitForAsync(run.RunId, "AwaitingReview");
        var item = Assert.Single(await fixture.Api.ReviewItemsAsync(run));

        foreach (var reviewer in new[] { "ann", "Zoë O'Brien", "bob.smith@example.org" })
            Assert.Equal(HttpStatusCode.Accepted, (await fixture.Api.ReviewAsync(run.RunId, run.ReviewToken,
                new { itemId = item.ItemId, reviewer, preference = "first" })).StatusCode);
        // A fourth person is one too many; a reviewer already counted may still change their label.
        var fourth = await fixture.Api.ReviewAsync(run.RunId, run.ReviewToken, new { itemId = item.ItemId, reviewer = "dan", preference = "tie" });
        Assert.Equal(HttpStatusCode.Conflict, fourth.StatusCode);
        Assert.Contains("maxReviewersPerItem", (await fourth.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.Accepted, (await fixture.Api.ReviewAsync(run.RunId, run.ReviewToken,
            new { itemId = item.ItemId, reviewer = "ann", preference = "second" })).StatusCode);

        foreach (var bad in new[] { new string('a', 65), "<script>alert(1)</script>", "tab\there", " -leading", "new\nline", "\u200Binvisible" })
        {
            var response = await fixture.Api.ReviewAsync(run.RunId, run.ReviewToken, new { itemId = item.ItemId, reviewer = bad, preference = "first" });
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.True((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("reviewer", out _), bad);
        }

        using var big = new HttpRequestMessage(HttpMethod.Post, $"/api/runs/{run.RunId}/reviews")
        {
            Content = JsonContent.Create(new { itemId = item.ItemId, reviewer = "eve", preference = "first", padding = new string('x', 17 * 1024) }),
        };
        big.Headers.Add("X-Review-Token", run.ReviewToken);
        var tooBig = await fixture.Api.Http.SendAsync(big);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooBig.StatusCode);
        Assert.Contains("16 KB", (await tooBig.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());

        var maxOption = await fixture.Api.PostRunAsync(new { items = Items(tag, 1), options = new { maxReviewersPerItem = 0 } });
        Assert.Equal(HttpStatusCode.BadRequest, maxOption.StatusCode);
        Assert.Contains("options.maxReviewersPerItem", await maxOption.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Review_tokens_are_rate_limited_per_link()
    {
        await using var host = fixture.CreateHost("ratelimit" + Guid.NewGuid().ToString("N")[..6], fixture.Llm.BaseUrl, new Dictionary<string, string>
        {
            ["Reviews__RateLimitPerSecond"] = "2",
            ["Reviews__RateLimitBurst"] = "4",
            ["Reviews__RateLimitQueue"] = "0",
            ["BlobTrigger__Enabled"] = "false",
        });
        await host.StartAsync();
        using var api = new SynthPrefApi(host.CreateClient());
        var tag = Guid.NewGuid().ToString("N")[..8];
        var first = await api.StartAsync(new { items = Items(tag, 1), options = new { critiqueRevise = false, reviewSampleSize = 1, minReviewsPerItem = 50 } });
        var second = await api.StartAsync(new { items = Items(tag + "b", 1), options = new { critiqueRevise = false, reviewSampleSize = 1, minReviewsPerItem = 50 } });
        await api.WaitForAsync(first.RunId, "AwaitingReview");
        await api.WaitForAsync(second.RunId, "AwaitingReview");
        var item = Assert.Single(await api.ReviewItemsAsync(first));

        var answers = await Task.WhenAll(Enumerable.Range(0, 12).Select(n =>
            api.ReviewAsync(first.RunId, first.ReviewToken, new { itemId = item.ItemId, reviewer = $"r{n}", preference = "first" })));
        var limited = answers.Where(a => a.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        Assert.NotEmpty(limited);
        Assert.True(answers.Count(a => a.StatusCode == HttpStatusCode.Accepted) <= 6, "more labels got through than the burst and rate allow");
        Assert.True(limited[0].Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));
        Assert.Contains("Reviews:RateLimitPerSecond", (await limited[0].Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());

        // Another run's link has its own bucket, and this one refills: sent again when each 429 says to, the label gets in.
        Assert.Single(await api.ReviewItemsAsync(second));
        var later = await Eventually.NotRateLimitedAsync(
            () => api.ReviewAsync(first.RunId, first.ReviewToken, new { itemId = item.ItemId, reviewer = "later", preference = "first" }),
            a => a.StatusCode == HttpStatusCode.TooManyRequests ? a.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1) : null,
            TimeSpan.FromSeconds(15));
        Assert.Equal(HttpStatusCode.Accepted, later.StatusCode);
    }

    [Fact]
    public async Task Review_tokens_are_stored_as_hashes_handed_out_once_replaced_on_request_and_never_logged()
    {
        // Every category at Trace, so anything that logged a URL, a header or a request would show here.
        await using var host = fixture.CreateHost("tokens" + Guid.NewGuid().ToString("N")[..6], fixture.Llm.BaseUrl, new Dictionary<string, string>
        {
            ["Logging__LogLevel__Default"] = "Trace",
            ["Logging__LogLevel__Microsoft"] = "Trace",
            ["Logging__LogLevel__Microsoft.AspNetCore"] = "Trace",
            ["Logging__LogLevel__SynthPref"] = "Trace",
            ["Logging__LogLevel__DurableTask.AzureStorage"] = "Warning",
            ["Logging__LogLevel__DurableTask.Core"] = "Warning",
            ["Logging__LogLevel__Microsoft.DurableTask"] = "Information",
            ["BlobTrigger__Enabled"] = "false",
        });
        await host.StartAsync();
        using var api = new SynthPrefApi(host.CreateClient());
        var tag = Guid.NewGuid().ToString("N")[..8];
        var run = await api.StartAsync(new { name = "tokens", items = Items(tag, 2), options = new { critiqueRevise = false, reviewSampleSize = 2, minReviewsPerItem = 2 } });
        Assert.EndsWith($"/api/runs/{run.RunId}/review#token={Uri.EscapeDataString(run.ReviewToken)}", run.ReviewUri);
        await api.WaitForAsync(run.RunId, "AwaitingReview");

        // Storage has the hash, not the token; the run list hands out no link.
        var row = (await fixture.Table(StorageNames.RunsTable).GetEntityAsync<TableEntity>("run", run.RunId)).Value;
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(run.ReviewToken))), row.GetString("ReviewTokenHash"));
        Assert.DoesNotContain(row, p => p.Value is string s && s.Contains(run.ReviewToken));
        var list = await api.Http.GetStringAsync("/api/runs?take=500");
        Assert.DoesNotContain(run.ReviewToken, list);
        Assert.DoesNotContain("reviewUri", list);

        // The page loads with the token in the fragment, which never reaches the server; the API takes it in the header.
        var page = await api.Http.GetAsync($"/api/runs/{run.RunId}/review");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var items = await api.ReviewItemsAsync(run);
        // (A token in a query is refused, see ReviewRulesTests; not sent here, since the server's own request log would keep it.)
        Assert.Equal(HttpStatusCode.Unauthorized, (await api.Http.GetAsync($"/api/runs/{run.RunId}/review-items?token=not-a-real-token")).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await api.ReviewAsync(run.RunId, run.ReviewToken,
            new { itemId = items[0].ItemId, reviewer = "ann", preference = "first" })).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await api.ReviewAsync(run.RunId, run.ReviewToken + "x",
            new { itemId = items[0].ItemId, reviewer = "ann", preference = "first" })).StatusCode);

        // A new link replaces the old one: the old token stops working, the new one works, and neither is logged.
        var issued = await api.Http.PostAsync($"/api/runs/{run.RunId}/review-link", null);
        Assert.Equal(HttpStatusCode.OK, issued.StatusCode);
        var link = await issued.Content.ReadFromJsonAsync<JsonElement>();
        var newToken = link.GetProperty("reviewToken").GetString()!;
        Assert.NotEqual(run.ReviewToken, newToken);
        Assert.EndsWith($"/api/runs/{run.RunId}/review#token={Uri.EscapeDataString(newToken)}", link.GetProperty("reviewUri").GetString());
        Assert.Equal(HttpStatusCode.Unauthorized, (await api.ReviewAsync(run.RunId, run.ReviewToken,
            new { itemId = items[1].ItemId, reviewer = "ann", preference = "first" })).StatusCode);
        var renewed = run with { ReviewToken = newToken };
        Assert.Equal(2, (await api.ReviewItemsAsync(renewed)).Length);
        Assert.Equal(HttpStatusCode.Accepted, (await api.ReviewAsync(run.RunId, newToken,
            new { itemId = items[1].ItemId, reviewer = "ann", preference = "first" })).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await api.CloseAsync(run.RunId, newToken)).StatusCode);
        await api.WaitForAsync(run.RunId, "Completed");
        Assert.Equal(HttpStatusCode.NotFound, (await api.Http.PostAsync("/api/runs/run-unknown/review-link", null)).StatusCode);

        var log = host.Log;
        Assert.Contains("Request starting", log); // the capture did see requests, at Trace
        Assert.DoesNotContain(run.ReviewToken, log);
        Assert.DoesNotContain(newToken, log);
        Assert.DoesNotContain(Uri.EscapeDataString(run.ReviewToken), log);
    }
}
