using Microsoft.Playwright;
using SynthPref.Tests.Infrastructure;

namespace SynthPref.Tests.EndToEnd;

/// <summary>
/// The review page in a real Chromium, against the real local host. The browser is the system Chromium
/// (Debian package <c>chromium</c>); these tests fail rather than skip when it is missing.
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class ReviewPageTests(PipelineFixture fixture)
{
    const string ScreenshotPath = "/tmp/review-page.png";
    const string NarrowScreenshotPath = "/tmp/review-page-narrow.png";
    static readonly string LongToken = "https://example.com/" + new string('x', 300);

    /*
     Three items in three categories; the fake judge's markers fix its verdicts:
       alpha: [[good]] in response A → judge A
       beta:  [[good]] in response B → judge B
       gamma: [[tie]] in the prompt  → judge tie
     The reviewer clicks, in the page's display order, whichever button means A for alpha, B for beta and
     Tie for gamma, so every vote agrees with the judge. A page that mixed up first and second would make
     alpha and beta disagree, which the per-category figures show.
    */
    [Fact]
    public async Task A_reviewer_labels_every_item_in_the_browser_and_the_report_counts_the_votes()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var run = await fixture.Api.StartAsync(new
        {
            items = new object[]
            {
                new { id = "x1", prompt = $"{tag} Explain recursion briefly.", category = "alpha",
                      response_a = "[[good]] Response A: a function that calls itself.", response_b = "Response B: a loop. " + LongToken },
                new { id = "x2", prompt = $"{tag} Name a prime number.", category = "beta",
                      response_a = "Response A: nine.", response_b = "[[good]] Response B: seven." },
                new { id = "x3", prompt = $"{tag} Pick a colour. [[tie]]", category = "gamma",
                      response_a = "Response A: blue.", response_b = "Response B: green." },
            },
            options = new { critiqueRevise = false, reviewSampleSize = 10, minReviewsPerItem = 1 },
        });
        await fixture.Api.WaitForAsync(run.RunId, "AwaitingReview");
        var intended = new Dictionary<string, string> { ["alpha"] = "A", ["beta"] = "B", ["gamma"] = "tie" };

        await using var browser = await ReviewBrowser.LaunchAsync();
        var page = await browser.NewPageAsync();
        var problems = new List<string>();
        page.PageError += (_, error) => problems.Add($"page error: {error}");
        page.Console += (_, message) => { if (message.Type == "error") problems.Add($"console error: {message.Text} at {message.Location}"); };
        page.Response += (_, response) => { if (response.Status >= 400) problems.Add($"{response.Status} from {response.Url}"); };

        await page.GotoAsync(PageUrl(run.RunId, run.ReviewToken));
        var sections = page.Locator("section.item");
        await Assertions.Expect(sections).ToHaveCountAsync(3);
        await Assertions.Expect(page.Locator("#summary")).ToHaveTextAsync("3 items · 0 saved");

        // Blind: the page shows the prompt and the two responses, never the judge's verdict or the pair's source.
        var text = await page.Locator("body").InnerTextAsync();
        Assert.Contains($"{tag} Explain recursion briefly.", text);
        foreach (var word in new[] { "judge", "revision", "preference", "verdict" })
            Assert.DoesNotContain(word, text, StringComparison.OrdinalIgnoreCase);

        // Clicking before giving a name is refused in the page, and nothing is sent.
        var firstSection = sections.Nth(0);
        await firstSection.Locator("button[data-preference=tie]").ClickAsync();
        await Assertions.Expect(firstSection.Locator(".actions .error")).ToHaveTextAsync("Enter your name first.");
        Assert.Equal(0, (await fixture.Api.StatusAsync(run.RunId)).GetProperty("progress").GetProperty("votes").GetInt32());

        await page.Locator("#reviewer").FillAsync("Page Reviewer");
        for (var i = 0; i < 3; i++)
        {
            var section = sections.Nth(i);
            var category = await section.Locator(".status").First.InnerTextAsync();
            var firstShown = await section.Locator(".pair pre").Nth(0).InnerTextAsync();
            var aShownFirst = firstShown.StartsWith("Response A", StringComparison.Ordinal)
                || firstShown.StartsWith("[[good]] Response A", StringComparison.Ordinal);
            var click = intended[category] switch
            {
                "tie" => "tie",
                var pref => (pref == "A") == aShownFirst ? "first" : "second",
            };
            var button = section.Locator($"button[data-preference={click}]");
            await button.ClickAsync();
            await Assertions.Expect(section.Locator(".actions .status")).ToHaveTextAsync("Saved");
            await Assertions.Expect(button).ToHaveClassAsync("chosen");
            await Assertions.Expect(section.Locator("button.chosen")).ToHaveCountAsync(1);
        }
        await Assertions.Expect(page.Locator("#summary")).ToHaveTextAsync("3 items · 3 saved");
        Assert.False(await HasHorizontalOverflowAsync(page), "A long unbroken response widened the page.");
        await page.ScreenshotAsync(new() { Path = ScreenshotPath, FullPage = true });

        // A phone-width window stacks the two responses instead of overflowing sideways.
        await page.SetViewportSizeAsync(400, 800);
        Assert.False(await HasHorizontalOverflowAsync(page), "The page overflows sideways at phone width.");
        await page.ScreenshotAsync(new() { Path = NarrowScreenshotPath, FullPage = true });
        Assert.True(problems.Count == 0, string.Join("\n", problems));

        // One reviewer on every sampled item completes the phase (minReviewsPerItem = 1).
        await fixture.Api.WaitForAsync(run.RunId, "Completed");
        var report = await fixture.Api.ReportAsync(run.RunId);
        var review = report.GetProperty("review");
        Assert.Equal("complete", review.GetProperty("endedBy").GetString());
        Assert.Equal(3, review.GetProperty("sampledItems").GetInt32());
        Assert.Equal(1, review.GetProperty("reviewers").GetInt32());
        Assert.Equal(3, review.GetProperty("votes").GetInt32());

        var agreement = report.GetProperty("agreement");
        var overall = agreement.GetProperty("overall");
        Assert.Equal(3, overall.GetProperty("votes").GetInt32());
        Assert.Equal(3, overall.GetProperty("agree").GetInt32());
        Assert.Equal(2, overall.GetProperty("votesExcludingTies").GetInt32());
        foreach (var category in intended.Keys)
        {
            var stats = agreement.GetProperty("byCategory").GetProperty(category);
            Assert.True(stats.GetProperty("votes").GetInt32() == 1 && stats.GetProperty("agree").GetInt32() == 1,
                $"{category}: {stats}");
        }
    }

    [Fact]
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
            Assert.Equal(0, await page.Locator("section.item").CountAsync());
            Assert.DoesNotContain("secret prompt", await page.Locator("body").InnerTextAsync());
        }

        // The right token still works for the same run.
        await page.GotoAsync(PageUrl(run.RunId, run.ReviewToken));
        await Assertions.Expect(page.Locator("section.item")).ToHaveCountAsync(1);
    }

    static Task<bool> HasHorizontalOverflowAsync(IPage page) =>
        page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth > document.documentElement.clientWidth");

    string PageUrl(string runId, string token) =>
        $"{fixture.Host.BaseAddress.ToString().TrimEnd('/')}/api/runs/{runId}/review#token={Uri.EscapeDataString(token)}";
}

/// <summary>Playwright driving the system Chromium; Playwright's own browser download is not used.</summary>
sealed class ReviewBrowser : IAsyncDisposable
{
    public const string DefaultExecutable = "/usr/bin/chromium";

    readonly IPlaywright playwright;
    readonly IBrowser browser;

    ReviewBrowser(IPlaywright playwright, IBrowser browser) => (this.playwright, this.browser) = (playwright, browser);

    public static async Task<ReviewBrowser> LaunchAsync()
    {
        var executable = Environment.GetEnvironmentVariable("SYNTHPREF_CHROMIUM") is { Length: > 0 } path ? path : DefaultExecutable;
        // Fail, never skip: a missing browser must not turn the page tests silently green.
        Assert.True(File.Exists(executable),
            $"Chromium not found at {executable}. Install it with: apt-get install -y chromium");
        var playwright = await Playwright.CreateAsync();
        try
        {
            var browser = await playwright.Chromium.LaunchAsync(new()
            {
                ExecutablePath = executable,
                Headless = true,
                Args =
                [
                    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    // CI containers often have a 64 MB /dev/shm; the Debian launcher's own check for that is unreliable.
                    "--disable-dev-shm-usage",
                ],
            });
            return new ReviewBrowser(playwright, browser);
        }
        catch
        {
            playwright.Dispose();
            throw;
        }
    }

    public async Task<IPage> NewPageAsync()
    {
        var context = await browser.NewContextAsync(new() { ViewportSize = new() { Width = 1280, Height = 900 } });
        return await context.NewPageAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await browser.CloseAsync();
        playwright.Dispose();
    }
}
