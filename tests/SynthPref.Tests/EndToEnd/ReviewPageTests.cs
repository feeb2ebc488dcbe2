using Microsoft.Playwright;
using SynthPref.Orchestration.Api;
using SynthPref.Tests.Infrastructure;

namespace SynthPref.Tests.EndToEnd;

/// <summary>
/// The review page in a real Chromium, against the real local host (the token check runs on both hosts: <see cref="ReviewPageScenarios"/>). The browser is the system Chromium
/// (Debian package <c>chromium</c>); these tests fail rather than skip when it is missing.
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class ReviewPageTests(PipelineFixture fixture)
{
    const string ScreenshotPath = "/tmp/review-page.png";
    const string NarrowScreenshotPath = "/tmp/review-page-narrow.png";
    static readonly string LongToken = "https://example.com/" + new string('x', 300);

    /*
     The adaptive scenario of AdaptiveReviewTests (worked by hand there): 24 pairs in "sure" and "unsure", the judge
     preferring A in each; two reviewers, target width 0.5, a first sample of 4. r1 labels in one browser with the keys,
     r2 in another with the mouse; in "sure" both agree with the judge, in "unsure" r2 does not. Round 1's four items
     leave "unsure" too wide, so round 2 adds four "unsure" items, which both pages show without a reload; after them
     every category meets the target and the run completes with 16 votes.
    */
    [Fact]
    public async Task Two_reviewers_label_a_whole_adaptive_run_one_with_the_keys_one_with_the_mouse()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var run = await fixture.Api.StartAsync(new
        {
            items = AdaptiveReviewTests.Items(tag),
            options = new { critiqueRevise = false, reviewSampleSize = 4, minReviewsPerItem = 2, seed = 11, targetCiWidth = 0.5 },
        });
        await fixture.Api.WaitForAsync(run.RunId, "AwaitingReview");

        await using var browser = await ReviewBrowser.LaunchAsync();
        var problems = new List<string>();
        var itemResponses = new List<IResponse>();
        var keys = await OpenAsync(browser, run, problems, itemResponses);
        var mouse = await OpenAsync(browser, run, problems, itemResponses);

        // The name is asked once, before the first item: typed and Enter, or typed and the button.
        await keys.Locator("#reviewer-name").FillAsync("r1");
        await keys.Locator("#reviewer-name").PressAsync("Enter");
        await mouse.Locator("#reviewer-name").FillAsync("r2");
        await mouse.Locator("#start").ClickAsync();

        await LabelAllAsync(keys, "r1", useKeys: true, total: 4);
        await LabelAllAsync(mouse, "r2", useKeys: false, total: 4);
        await Assertions.Expect(keys.Locator("#done-title")).ToHaveTextAsync("Done: all 4 items are labelled. Thank you!");

        // ← from the done screen goes back to the last item, which shows the label given; → returns.
        await mouse.Keyboard.PressAsync("ArrowLeft");
        await Assertions.Expect(mouse.Locator("#progress")).ToHaveTextAsync("4 of 4");
        await Assertions.Expect(mouse.Locator("#item-status")).ToHaveTextAsync("Saved");
        await Assertions.Expect(mouse.Locator("#item button.chosen")).ToHaveCountAsync(1);
        await mouse.Locator("#next").ClickAsync();
        await Assertions.Expect(mouse.Locator("#done-screen")).ToBeVisibleAsync();

        // Round 2 reaches both pages by their polling, and each goes on at the first new item.
        foreach (var page in new[] { keys, mouse })
        {
            await Assertions.Expect(page.Locator("#progress")).ToHaveTextAsync("5 of 8", new() { Timeout = 60_000 });
            await Assertions.Expect(page.Locator("#labelled")).ToHaveTextAsync("4 labelled");
        }
        await LabelAllAsync(keys, "r1", useKeys: true, total: 8, from: 5);
        await LabelAllAsync(mouse, "r2", useKeys: false, total: 8, from: 5);
        foreach (var page in new[] { keys, mouse })
            await Assertions.Expect(page.Locator("#done-title")).ToHaveTextAsync("Done: all 8 items are labelled. Thank you!");

        await fixture.Api.WaitForAsync(run.RunId, "Completed");
        var report = await fixture.Api.ReportAsync(run.RunId);
        var review = report.GetProperty("review");
        Assert.Equal(2, review.GetProperty("reviewers").GetInt32());
        Assert.Equal(16, review.GetProperty("votes").GetInt32());
        Assert.Equal([4, 4], review.GetProperty("rounds").EnumerateArray().Select(r => r.GetProperty("sampledItems").GetInt32()));
        var byCategory = report.GetProperty("agreement").GetProperty("byCategory");
        Assert.Equal(4, byCategory.GetProperty("sure").GetProperty("agree").GetInt32());
        Assert.Equal((12, 6), (byCategory.GetProperty("unsure").GetProperty("votes").GetInt32(), byCategory.GetProperty("unsure").GetProperty("agree").GetInt32()));

        // Blind: neither the page nor anything it was sent names an input, a source or a verdict.
        var inputIds = (await fixture.Api.ReviewSampleAsync(run.RunId)).Items.Select(i => i.InputId).ToList();
        Assert.Equal(8, inputIds.Count);
        var bodies = new List<string>();
        foreach (var response in itemResponses.ToList()) bodies.Add(await response.TextAsync());
        Assert.NotEmpty(bodies);
        foreach (var text in bodies.Append(await keys.Locator("body").InnerTextAsync()))
        {
            foreach (var id in inputIds) Assert.DoesNotContain($"\"{id}\"", text);
            foreach (var word in new[] { "inputId", "judge", "revision", "verdict", "source" })
                Assert.DoesNotContain(word, text, StringComparison.OrdinalIgnoreCase);
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public async Task Responses_render_as_markdown_with_a_raw_toggle_a_failed_submit_is_kept_and_retried_and_a_phone_stacks_them()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        const string markdown = "[[good]] # Steps\n\n**Bold** and `code`.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n" +
                                "[safe](https://example.com/x) [unsafe](javascript:window.__pwned=3) <b>raw tag</b>\n\n![pic](https://example.com/p.png)";
        var run = await fixture.Api.StartAsync(new
        {
            items = new object[]
            {
                new { id = "md1", prompt = $"{tag} Explain recursion briefly.", category = "alpha", response_a = markdown, response_b = "Plain B. " + LongToken },
                new { id = "md2", prompt = $"{tag} Name a prime.", category = "beta", response_a = "Nine.", response_b = "[[good]] Seven." },
            },
            options = new { critiqueRevise = false, reviewSampleSize = 10, minReviewsPerItem = 1 },
        });
        await fixture.Api.WaitForAsync(run.RunId, "AwaitingReview");

        await using var browser = await ReviewBrowser.LaunchAsync();
        var page = await browser.NewPageAsync();
        var problems = new List<string>();
        Watch(page, problems);
        await page.GotoAsync(PageUrl(run.RunId, run.ReviewToken));
        await page.Locator("#reviewer-name").FillAsync("Page Reviewer");
        await page.Locator("#start").ClickAsync();
        await Assertions.Expect(page.Locator("#progress")).ToHaveTextAsync("1 of 2");

        // Find the markdown response on whichever item and side it landed.
        if (await page.Locator("#category").InnerTextAsync() != "alpha") await page.Keyboard.PressAsync("ArrowRight");
        await Assertions.Expect(page.Locator("#category")).ToHaveTextAsync("alpha");
        var side = (await page.Locator("#first-raw").TextContentAsync())!.StartsWith("[[good]] # Steps", StringComparison.Ordinal) ? "first" : "second";
        var md = page.Locator($"#{side}-md");
        await Assertions.Expect(md.Locator("strong")).ToHaveTextAsync("Bold");
        await Assertions.Expect(md.Locator("table td").First).ToHaveTextAsync("1");
        await Assertions.Expect(md.Locator("a[href='https://example.com/x']")).ToHaveAttributeAsync("target", "_blank");
        // Raw HTML is text, script links are text, and the image is a link to it, fetched from nowhere.
        Assert.Equal(0, await md.Locator("b, img, script").CountAsync());
        Assert.Equal(0, await page.Locator("a[href^='javascript']").CountAsync());
        Assert.Contains("<b>raw tag</b>", await md.InnerTextAsync());
        Assert.Contains("unsafe", await md.InnerTextAsync());
        await Assertions.Expect(md.Locator("a[href='https://example.com/p.png']")).ToHaveTextAsync("pic");

        // The toggle shows the raw text instead, and is remembered.
        await page.Locator("#raw-toggle").CheckAsync();
        await Assertions.Expect(page.Locator($"#{side}-raw")).ToBeVisibleAsync();
        await Assertions.Expect(md).ToBeHiddenAsync();
        Assert.Equal(markdown, await page.Locator($"#{side}-raw").TextContentAsync());
        await page.ReloadAsync();
        await Assertions.Expect(page.Locator("#raw-toggle")).ToBeCheckedAsync();
        await page.Locator("#raw-toggle").UncheckAsync();

        // The first item's label fails to send: it stays in the page, survives a reload, and Retry sends it.
        await page.RouteAsync("**/reviews", route => route.AbortAsync());
        await Assertions.Expect(page.Locator("#progress")).ToHaveTextAsync("1 of 2");
        await page.Keyboard.PressAsync("0");
        await Assertions.Expect(page.Locator("#pending-text")).ToHaveTextAsync("1 label not sent yet");
        await page.Keyboard.PressAsync("ArrowLeft");
        await Assertions.Expect(page.Locator("#item-status")).ToContainTextAsync("Not sent yet");
        await page.ReloadAsync();
        await Assertions.Expect(page.Locator("#pending-text")).ToHaveTextAsync("1 label not sent yet");
        Assert.Equal(0, (await fixture.Api.StatusAsync(run.RunId)).GetProperty("progress").GetProperty("votes").GetInt32());
        await page.UnrouteAsync("**/reviews");
        await page.Locator("#retry").ClickAsync();
        // After the reload the page went on to the item without a label; the first one now says it is saved.
        await Assertions.Expect(page.Locator("#progress")).ToHaveTextAsync("2 of 2");
        await page.Keyboard.PressAsync("ArrowLeft");
        await Assertions.Expect(page.Locator("#item-status")).ToHaveTextAsync("Saved");
        await Assertions.Expect(page.Locator("#item button.chosen")).ToHaveAttributeAsync("data-preference", "tie");
        await Assertions.Expect(page.Locator("#pending")).ToBeHiddenAsync();
        Assert.Equal(1, (await fixture.Api.StatusAsync(run.RunId)).GetProperty("progress").GetProperty("votes").GetInt32());
        await page.Keyboard.PressAsync("ArrowRight");

        Assert.False(await HasHorizontalOverflowAsync(page), "A long unbroken response widened the page.");
        await page.ScreenshotAsync(new() { Path = ScreenshotPath, FullPage = true });
        // A phone-width window stacks the two responses instead of setting them side by side.
        await page.SetViewportSizeAsync(400, 800);
        var first = (await page.Locator(".pair > div").Nth(0).BoundingBoxAsync())!;
        var second = (await page.Locator(".pair > div").Nth(1).BoundingBoxAsync())!;
        Assert.True(second.Y >= first.Y + first.Height, $"not stacked: {first.Y}+{first.Height} vs {second.Y}");
        Assert.False(await HasHorizontalOverflowAsync(page), "The page overflows sideways at phone width.");
        await page.ScreenshotAsync(new() { Path = NarrowScreenshotPath, FullPage = true });

        // Clicking the last item's label finishes: the done screen ends the review.
        await page.Locator("#item button[data-preference=second]").ClickAsync();
        await Assertions.Expect(page.Locator("#done-title")).ToHaveTextAsync("Done: all 2 items are labelled. Thank you!");
        await fixture.Api.WaitForAsync(run.RunId, "Completed");
        Assert.Null(await page.EvaluateAsync<int?>("() => window.__pwned ?? null"));
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    /// <summary>A page of its own (its own localStorage) on the run's review link, its problems and every review-items
    /// body it receives collected.</summary>
    async Task<IPage> OpenAsync(ReviewBrowser browser, StartRunResponse run, List<string> problems, List<IResponse> responses)
    {
        var page = await browser.NewPageAsync();
        Watch(page, problems);
        page.Response += (_, response) =>
        {
            if (response.Url.EndsWith("/review-items", StringComparison.Ordinal) && response.Status == 200)
                lock (responses) responses.Add(response);
        };
        await page.GotoAsync(PageUrl(run.RunId, run.ReviewToken));
        await Assertions.Expect(page.Locator("#reviewer-name")).ToBeVisibleAsync();
        return page;
    }

    /// <summary>Labels items from..total as the scenario says, by key or by click, checking the progress as it goes.</summary>
    static async Task LabelAllAsync(IPage page, string reviewer, bool useKeys, int total, int from = 1)
    {
        for (var position = from; position <= total; position++)
        {
            await Assertions.Expect(page.Locator("#progress")).ToHaveTextAsync($"{position} of {total}");
            var category = await page.Locator("#category").InnerTextAsync();
            var first = (await page.Locator("#first-raw").TextContentAsync())!;
            var (r1, r2) = AdaptiveReviewTests.Labels(category, first);
            var preference = reviewer == "r1" ? r1 : r2;
            if (useKeys) await page.Keyboard.PressAsync(preference == "first" ? "1" : preference == "second" ? "2" : "0");
            else await page.Locator($"#item button[data-preference={preference}]").ClickAsync();
        }
        await Assertions.Expect(page.Locator("#done-screen")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#labelled")).ToHaveTextAsync($"{total} labelled");
        await Assertions.Expect(page.Locator("#pending")).ToBeHiddenAsync();
    }

    static void Watch(IPage page, List<string> problems)
    {
        page.PageError += (_, error) => problems.Add($"page error: {error}");
        page.Console += (_, message) => { if (message.Type == "error" && !message.Text.Contains("ERR_FAILED", StringComparison.Ordinal)) problems.Add($"console error: {message.Text} at {message.Location}"); };
        page.Response += (_, response) => { if (response.Status >= 400) problems.Add($"{response.Status} from {response.Url}"); };
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

    /// <param name="headers">Sent with every request the page makes (a management key, say).</param>
    public async Task<IPage> NewPageAsync(IEnumerable<KeyValuePair<string, string>>? headers = null)
    {
        var context = await browser.NewContextAsync(new() { ViewportSize = new() { Width = 1280, Height = 900 }, ExtraHTTPHeaders = headers });
        return await context.NewPageAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await browser.CloseAsync();
        playwright.Dispose();
    }
}
