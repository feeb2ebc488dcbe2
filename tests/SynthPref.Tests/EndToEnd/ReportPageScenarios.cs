using System.Globalization;
using System.Text.Json;
using Microsoft.Playwright;
using SynthPref.Tests.Infrastructure;

namespace SynthPref.Tests.EndToEnd;

/// <summary>A completed run's report.html, opened in the system Chromium from either host: the charts are drawn (inline SVG with a size and with text in it, so the embedded font measured it), and every figure the page names equals the one in report.json. A page that rounded, mislabelled or swapped a figure, or a chart that came out empty, fails here.</summary>
public abstract class ReportPageScenarios(TestPipeline fixture)
{
    [Collection(PipelineCollection.Name)]
    public sealed class OnLocalHost(PipelineFixture fixture) : ReportPageScenarios(fixture);

    [Collection(FunctionsHostCollection.Name), Trait("Host", HostKinds.Functions)]
    public sealed class OnFunctionsHost : ReportPageScenarios
    {
        public OnFunctionsHost(FunctionsPipelineFixture fixture) : base(fixture) => FunctionsPipelineFixture.SkipUnlessAvailable();
    }

    string ScreenshotPath => $"/tmp/report-page-{fixture.Kind.ToLowerInvariant()}.png";

    [SkippableFact]
    public async Task The_report_page_draws_its_charts_and_shows_the_figures_of_report_json()
    {
        var run = await AgreementTests.HandWorkedRunAsync(fixture);
        var report = await fixture.Api.ReportAsync(run.RunId);
        var agreement = report.GetProperty("agreement");
        var overall = agreement.GetProperty("overall");
        var humans = agreement.GetProperty("humans");

        await using var browser = await ReviewBrowser.LaunchAsync();
        // As an operator opens it: with the management key (none on the local host's loopback).
        var page = await browser.NewPageAsync(fixture.Host.ManagementKey is { } key ? new Dictionary<string, string> { [ISynthPrefHost.ManagementKeyHeader] = key } : null);
        var problems = new List<string>();
        page.PageError += (_, error) => problems.Add($"page error: {error}");
        page.Request += (_, request) => { if (!request.Url.Contains($"/api/runs/{run.RunId}/report.html", StringComparison.Ordinal)) problems.Add($"request: {request.Url}"); };
        await page.GotoAsync(new Uri(fixture.Api.Http.BaseAddress!, $"/api/runs/{run.RunId}/report.html").ToString());
        await page.ScreenshotAsync(new() { Path = ScreenshotPath, FullPage = true });

        // The charts: each an inline SVG with a size on the page, and with text the browser laid out.
        var charts = page.Locator("svg.chart");
        var drawn = new List<string>();
        for (var i = 0; i < await charts.CountAsync(); i++)
        {
            var chart = charts.Nth(i);
            var id = (await chart.GetAttributeAsync("data-chart"))!;
            var box = await chart.BoundingBoxAsync();
            Assert.True(box is { Width: > 100, Height: > 100 }, $"chart {id} has no size: {box?.Width}x{box?.Height}");
            var shapes = await chart.Locator("rect, path").CountAsync();
            Assert.True(shapes > 5, $"chart {id} has {shapes} shapes");
            var texts = await chart.Locator("text").AllAsync();
            Assert.True(texts.Count >= 3, $"chart {id} has {texts.Count} texts");
            var widest = 0.0;
            foreach (var text in texts)
                widest = Math.Max(widest, (await text.BoundingBoxAsync())?.Width ?? 0);
            Assert.True(widest > 10, $"chart {id}'s text has no width");
            drawn.Add(id);
        }
        Assert.Equal(["confusion", "category-agreement", "length-preference", "first-position"], drawn);
        // The heat map writes each cell's count; the category chart names the categories with their votes.
        Assert.Equal(["3", "1", "0", "2", "1", "0", "1", "0", "1"], (await page.Locator("svg[data-chart=confusion] text").AllTextContentsAsync())
            .Where(t => t.All(char.IsDigit)).ToList());
        var categoryLabels = await page.Locator("svg[data-chart=category-agreement] text").AllTextContentsAsync();
        Assert.Contains("math (6)", categoryLabels);
        Assert.Contains("poetry (3)", categoryLabels);

        // The figures, as the page shows them, against report.json.
        Assert.Equal(Percent(overall.GetProperty("rate")), await Figure(page, "agreement.overall.rate"));
        Assert.Equal(overall.GetProperty("votes").GetInt32().ToString(CultureInfo.InvariantCulture), await Figure(page, "agreement.overall.votes"));
        Assert.Equal($"{Percent(overall.GetProperty("ci95")[0])} – {Percent(overall.GetProperty("ci95")[1])}", await Figure(page, "agreement.overall.ci95"));
        Assert.Equal($"{Percent(overall.GetProperty("rateExcludingTies"))} (n = {overall.GetProperty("votesExcludingTies").GetInt32()})",
            await Figure(page, "agreement.overall.rateExcludingTies"));
        Assert.Equal(overall.GetProperty("kappa").GetDouble().ToString("F3", CultureInfo.InvariantCulture), await Figure(page, "agreement.overall.kappa"));
        var counts = agreement.GetProperty("confusion").GetProperty("counts");
        for (var row = 0; row < 3; row++)
            for (var column = 0; column < 3; column++)
                Assert.Equal(counts[row][column].GetInt32().ToString(CultureInfo.InvariantCulture), await Figure(page, $"agreement.confusion.counts.{row}.{column}"));
        Assert.Equal($"{Percent(humans.GetProperty("rate"))} of {humans.GetProperty("comparisons").GetInt32()} comparisons on {humans.GetProperty("items").GetInt32()} items",
            await Figure(page, "agreement.humans.rate"));
        var sameItems = humans.GetProperty("judgeOnSameItems");
        Assert.Equal($"{Percent(sameItems.GetProperty("rate"))} of {sameItems.GetProperty("votes").GetInt32()} votes",
            await Figure(page, "agreement.humans.judgeOnSameItems.rate"));
        Assert.StartsWith(Percent(humans.GetProperty("rateExcludingTies")), await Figure(page, "agreement.humans.rateExcludingTies"));
        Assert.Equal(humans.GetProperty("krippendorffAlpha").GetDouble().ToString("F3", CultureInfo.InvariantCulture),
            await Figure(page, "agreement.humans.krippendorffAlpha"));
        Assert.Equal(agreement.GetProperty("ranking").GetString(), await Figure(page, "agreement.ranking"));

        // The examples section shows the disagreements report.json lists, and no script or remote asset was loaded.
        var examples = await page.Locator("article.example code").AllInnerTextsAsync();
        Assert.Equal(report.GetProperty("examples").GetProperty("items").EnumerateArray().Select(e => e.GetProperty("inputId").GetString()), examples);
        Assert.Equal(0, await page.Locator("script, link, img, iframe").CountAsync());
        Assert.Empty(problems);
    }

    static async Task<string> Figure(IPage page, string name)
    {
        var element = page.Locator($"[data-figure=\"{name}\"]");
        Assert.Equal(1, await element.CountAsync());
        return (await element.InnerTextAsync()).Trim();
    }

    static string Percent(JsonElement share) => (share.GetDouble() * 100).ToString("F1", CultureInfo.InvariantCulture) + "%";
}
