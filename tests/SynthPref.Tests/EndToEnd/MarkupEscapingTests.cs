using System.Net;
using Microsoft.Playwright;
using SynthPref.FakeLlm;
using SynthPref.Orchestration.Judging;
using SynthPref.Tests.Infrastructure;

namespace SynthPref.Tests.EndToEnd;

/// <summary>Markup in prompts, responses, categories, names and errors is shown as text everywhere, on the
/// review page and in the report, and never runs.</summary>
[Collection(PipelineCollection.Name)]
public sealed class MarkupEscapingTests(PipelineFixture fixture)
{
    const string Script = "<script>window.__pwned = 1</script>";
    const string Image = "<img src=x onerror=\"window.__pwned = 2\">";

    [Fact]
    public async Task Markup_in_every_user_and_provider_text_is_escaped_on_the_review_page_and_in_the_report()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        // The critic fails with an error whose message is markup, so the failures section shows provider text too.
        await using var judge = await FakeOpenAiServer.StartAsync(r =>
            r.LastUserText?.Contains(FakeJudgeResponder.CritiqueMarker) == true && r.Messages.Any(m => m.Text.Contains("critic-markup"))
                ? FakeReply.Error(400, $"bad request {Image}")
                : FakeJudgeResponder.Respond(r, JudgePrompt.TryExtract));
        await using var host = fixture.CreateHost("markup" + Guid.NewGuid().ToString("N")[..6], judge.BaseUrl, new Dictionary<string, string>
        {
            ["BlobTrigger__Enabled"] = "false",
        });
        await host.StartAsync();
        using var api = new SynthPrefApi(host.CreateClient());
        var run = await api.StartAsync(new
        {
            name = $"run {Script}",
            items = new object[]
            {
                new { id = $"id {Image}", prompt = $"{tag} {Script} critic-markup", category = $"cat {Image}",
                      response_a = $"[[good]] {Script}", response_b = $"{Image} plain" },
                new { id = "clean", prompt = $"{tag} {Image} second", category = "plain", response_a = Image, response_b = $"[[good]] {Script}" },
            },
            options = new { reviewSampleSize = 5, minReviewsPerItem = 2, maxFailedItemsRatio = 1.0 },
        });
        await api.WaitForAsync(run.RunId, "AwaitingReview");

        await using var browser = await ReviewBrowser.LaunchAsync();
        var page = await browser.NewPageAsync();
        var sampled = (await api.ReviewItemsAsync(run)).Length; // both judge pairs and the clean item's revision pair
        Assert.Equal(3, sampled);
        await page.GotoAsync(run.ReviewUri);
        await page.Locator("#reviewer-name").FillAsync("ann");
        await page.Locator("#start").ClickAsync();
        // One item at a time: each shows its markup as text, rendered from Markdown or raw, and runs none of it.
        for (var position = 1; position <= sampled; position++)
        {
            await Assertions.Expect(page.Locator("#progress")).ToHaveTextAsync($"{position} of {sampled}");
            var text = await page.Locator("#item").InnerTextAsync();
            Assert.Contains(Image, text);
            if ((await page.Locator("#first-raw").TextContentAsync() + await page.Locator("#second-raw").TextContentAsync()).Contains(Script))
                Assert.Contains(Script, text);
            Assert.Equal(0, await page.Locator("#item img, #item script, #item b").CountAsync());
            await page.Locator("#item button[data-preference=first]").ClickAsync();
        }
        await Assertions.Expect(page.Locator("#done-title")).ToHaveTextAsync($"Done: all {sampled} items are labelled. Thank you!");
        Assert.Null(await page.EvaluateAsync<int?>("() => window.__pwned ?? null"));

        Assert.Equal(HttpStatusCode.Accepted, (await api.CloseAsync(run.RunId, run.ReviewToken)).StatusCode);
        await api.WaitForAsync(run.RunId, "Completed");
        var html = await api.Http.GetStringAsync($"/api/runs/{run.RunId}/report.html");
        Assert.DoesNotContain("<script>window", html);
        Assert.DoesNotContain("<img", html);
        Assert.Contains("&lt;script&gt;window.__pwned = 1&lt;/script&gt;", html); // the run's name
        Assert.Contains("cat &lt;img src=x onerror=&quot;window.__pwned = 2&quot;&gt;", html); // the category
        Assert.Contains("<td>id &lt;img src=x onerror=&quot;window.__pwned = 2&quot;&gt;</td>", html); // the failures section's item id

        var reportPage = await browser.NewPageAsync();
        await reportPage.SetContentAsync(html);
        Assert.Null(await reportPage.EvaluateAsync<int?>("() => window.__pwned ?? null"));
    }
}
