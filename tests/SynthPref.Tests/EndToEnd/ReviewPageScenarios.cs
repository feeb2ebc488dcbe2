using Microsoft.Playwright;
using SynthPref.Tests.Infrastructure;

namespace SynthPref.Tests.EndToEnd;

/// <summary>The blind review page in the system Chromium from either host: a wrong or missing token shows no items, the right one shows the run's.</summary>
public abstract class ReviewPageScenarios(TestPipeline fixture)
{
    [Collection(PipelineCollection.Name)]
    public sealed class OnLocalHost(PipelineFixture fixture) : ReviewPageScenarios(fixture);

    [Collection(FunctionsHostCollection.Name), Trait("Host", HostKinds.Functions)]
    public sealed class OnFunctionsHost : ReviewPageScenarios
    {
        public OnFunctionsHost(FunctionsPipelineFixture fixture) : base(fixture) => FunctionsPipelineFixture.SkipUnlessAvailable();
    }

    [SkippableFact]
    public async Task The_page_with_a_wrong_or_missing_token_says_so_and_shows_no_items()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var run = await fixture.Api.StartAsync(new
        {
            items = new object[] { new { id = "w1", prompt = $"{tag} secret prompt", response_a = "[[good]] a", response_b = "b" } },
            options = new { critiqueRevise = false, reviewSampleSize = 10, minReviewsPerItem = 1 },
        });
        await fixture.Api.WaitForAsync(run.RunId, "AwaitingReview");

        await using var browser = await ReviewBrowser.LaunchAsync();
        var page = await browser.NewPageAsync();
        foreach (var url in new[] { PageUrl(run.RunId, "not-the-token"), $"{fixture.Host.BaseAddress.ToString().TrimEnd('/')}/api/runs/{run.RunId}/review" })
        {
            await page.GotoAsync(url);
            await Assertions.Expect(page.Locator("#items .error")).ToHaveTextAsync("This link's review token is missing or wrong.");
            Assert.False(await page.Locator("#item-screen").IsVisibleAsync());
            Assert.DoesNotContain("secret prompt", await page.Locator("body").InnerTextAsync());
        }

        // The right token still works for the same run.
        await page.GotoAsync(PageUrl(run.RunId, run.ReviewToken));
        await page.Locator("#reviewer-name").FillAsync("ann");
        await page.Locator("#start").ClickAsync();
        await Assertions.Expect(page.Locator("#prompt")).ToHaveTextAsync($"{tag} secret prompt");
        await Assertions.Expect(page.Locator("#progress")).ToHaveTextAsync("1 of 1");
    }

    string PageUrl(string runId, string token) =>
        $"{fixture.Host.BaseAddress.ToString().TrimEnd('/')}/api/runs/{runId}/review#token={Uri.EscapeDataString(token)}";
}
