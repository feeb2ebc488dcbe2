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

        var drawn = await DrawnChartsAsync(page);
        Assert.Equal(["confusion", "category-agreement", "length-preference", "first-position"], drawn);
        // A run without trustTarget has no trust section.
        Assert.Equal(0, await page.Locator("#trust").CountAsync());
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

    /// <summary>The trust run of <see cref="TrustTests"/> (with its escalation round): the trust section's figures are those
    /// of report.json's trust block, and its two charts are drawn, naming each level and each judge.</summary>
    [SkippableFact]
    public async Task The_trust_section_draws_its_charts_and_shows_the_figures_of_the_trust_block()
    {
        var run = await TrustTests.HandWorkedRunAsync(fixture, escalate: true);
        var trust = (await fixture.Api.ReportAsync(run.RunId)).GetProperty("trust");

        await using var browser = await ReviewBrowser.LaunchAsync();
        var page = await browser.NewPageAsync(fixture.Host.ManagementKey is { } key ? new Dictionary<string, string> { [ISynthPrefHost.ManagementKeyHeader] = key } : null);
        var problems = new List<string>();
        page.PageError += (_, error) => problems.Add($"page error: {error}");
        page.Request += (_, request) => { if (!request.Url.Contains($"/api/runs/{run.RunId}/report.html", StringComparison.Ordinal)) problems.Add($"request: {request.Url}"); };
        await page.GotoAsync(new Uri(fixture.Api.Http.BaseAddress!, $"/api/runs/{run.RunId}/report.html").ToString());
        await page.ScreenshotAsync(new() { Path = $"/tmp/report-page-trust-{fixture.Kind.ToLowerInvariant()}.png", FullPage = true });

        var drawn = await DrawnChartsAsync(page);
        Assert.Equal(["trust-curve", "judge-reliability"], drawn.Take(2));
        var curve = await page.Locator("svg[data-chart=trust-curve] text").AllTextContentsAsync();
        Assert.Equal(["≥2", "≥4", "≥6"], curve.Where(t => t.StartsWith('≥')).Order(StringComparer.Ordinal));
        Assert.Contains($"target {Share(trust.GetProperty("target"))}", curve);
        var reliability = await page.Locator("svg[data-chart=judge-reliability] text").AllTextContentsAsync();
        Assert.Contains("default", reliability);
        Assert.Contains("contrarian", reliability);
        Assert.Contains("stated high", reliability);

        Assert.Equal(trust.GetProperty("statement").GetString(), await Figure(page, "trust.statement"));
        Assert.Equal(Percent(trust.GetProperty("target")), await Figure(page, "trust.target"));
        Assert.StartsWith(Percent(1 - trust.GetProperty("alpha").GetDouble()), await Figure(page, "trust.alpha"));
        Assert.Equal(Int(trust.GetProperty("calibrationItems")), await Figure(page, "trust.calibrationItems"));
        Assert.Equal($"{Int(trust.GetProperty("threshold"))} trust points", await Figure(page, "trust.threshold"));
        Assert.Equal($"{Int(trust.GetProperty("trustedPairs"))} of {Int(trust.GetProperty("decisivePairs"))} decisive judge pairs",
            await Figure(page, "trust.trustedPairs"));
        Assert.Equal(Int(trust.GetProperty("escalatedPairs")), await Figure(page, "trust.escalatedPairs"));
        Assert.Equal(Percent(trust.GetProperty("coverage")), await Figure(page, "trust.coverage"));
        var levels = trust.GetProperty("levels").EnumerateArray().ToList();
        Assert.Equal(3, levels.Count);
        for (var i = 0; i < levels.Count; i++)
        {
            var level = levels[i];
            Assert.Equal(Int(level.GetProperty("points")), await Figure(page, $"trust.levels.{i}.points"));
            Assert.Equal(Int(level.GetProperty("items")), await Figure(page, $"trust.levels.{i}.items"));
            Assert.Equal(Int(level.GetProperty("agree")), await Figure(page, $"trust.levels.{i}.agree"));
            Assert.Equal($"{Int(level.GetProperty("agreeAt"))} of {Int(level.GetProperty("itemsAt"))}", await Figure(page, $"trust.levels.{i}.agreeAt"));
            Assert.Equal(Percent(level.GetProperty("rate")), await Figure(page, $"trust.levels.{i}.rate"));
            Assert.Equal(Percent(level.GetProperty("lower")), await Figure(page, $"trust.levels.{i}.lower"));
            Assert.Equal(Percent(level.GetProperty("coverage")), await Figure(page, $"trust.levels.{i}.coverage"));
        }
        foreach (var judge in trust.GetProperty("judges").EnumerateArray())
            foreach (var cell in judge.GetProperty("byConfidence").EnumerateArray())
                Assert.Equal(cell.GetProperty("items").GetInt32() == 0 ? "n/a"
                        : $"{Percent(cell.GetProperty("rate"))} ({Int(cell.GetProperty("agree"))} of {Int(cell.GetProperty("items"))})",
                    await Figure(page, $"trust.judges.{judge.GetProperty("judge").GetString()}.{cell.GetProperty("confidence").GetString()}"));
        var escalation = trust.GetProperty("escalation");
        Assert.Equal(escalation.GetProperty("statement").GetString(), await Figure(page, "trust.escalation.statement"));
        Assert.Equal($"round {Int(escalation.GetProperty("round"))}: {Int(escalation.GetProperty("roundItems"))} items", await Figure(page, "trust.escalation.round"));
        foreach (var name in new[] { "reviewed", "decided", "overturned", "unreviewed" })
            Assert.Equal(Int(escalation.GetProperty(name)), await Figure(page, $"trust.escalation.{name}"));
        Assert.Empty(problems);
    }

    /// <summary>Every chart on the page, in page order: each an inline SVG with a size, shapes, and text the browser laid out
    /// (so the embedded font measured it).</summary>
    static async Task<List<string>> DrawnChartsAsync(IPage page)
    {
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
        return drawn;
    }

    static string Int(JsonElement value) => value.GetInt32().ToString(CultureInfo.InvariantCulture);

    static string Share(JsonElement share) => Math.Round(share.GetDouble() * 100, 6).ToString("0.####", CultureInfo.InvariantCulture) + "%";

    static string Percent(double share) => (share * 100).ToString("F1", CultureInfo.InvariantCulture) + "%";

    static async Task<string> Figure(IPage page, string name)
    {
        var element = page.Locator($"[data-figure=\"{name}\"]");
        Assert.Equal(1, await element.CountAsync());
        return (await element.InnerTextAsync()).Trim();
    }

    static string Percent(JsonElement share) => (share.GetDouble() * 100).ToString("F1", CultureInfo.InvariantCulture) + "%";
}
