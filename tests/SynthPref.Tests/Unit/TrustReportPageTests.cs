using System.Text.Json;
using System.Xml.Linq;
using SynthPref.Orchestration.Reporting;
using SynthPref.Orchestration.Trust;

namespace SynthPref.Tests.Unit;

/// <summary>The trust block in report.json and report.html: present only with trustTarget, its figures on the page, and
/// its two charts drawn.</summary>
public sealed class TrustReportPageTests
{
    static RunReport WithTrust(TrustReport trust) => ReportFactory.Build() with { Trust = trust };

    [Fact]
    public void Without_trust_report_json_has_no_trust_block_and_the_page_no_trust_section()
    {
        var report = ReportFactory.Build();
        using var json = JsonDocument.Parse(ReportJson.Serialize(report));
        Assert.False(json.RootElement.TryGetProperty("trust", out _));
        // Every other field is still written, null or not.
        Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("examples").ValueKind);
        var html = HtmlReport.Render(report);
        Assert.DoesNotContain("id=\"trust\"", html);
        Assert.DoesNotContain("data-chart=\"trust-curve\"", html);
    }

    [Fact]
    public void With_trust_the_block_is_in_report_json_and_its_figures_and_charts_are_on_the_page()
    {
        var trust = TrustAssessmentTests.Assess().Report;
        var report = WithTrust(trust);
        using var json = JsonDocument.Parse(ReportJson.Serialize(report));
        var block = json.RootElement.GetProperty("trust");
        Assert.Equal(3, block.GetProperty("threshold").GetInt32());
        Assert.Equal(["points", "items", "agree", "itemsAt", "agreeAt", "rate", "lower", "accepted", "pairs", "coverage"],
            block.GetProperty("levels")[0].EnumerateObject().Select(p => p.Name));
        Assert.Equal("review", block.GetProperty("escalation").GetProperty("mode").GetString());

        var html = HtmlReport.Render(report);
        Assert.Contains("<p class=\"ranking\" data-figure=\"trust.statement\">3 of 6 pairs (50.0%) are trusted:", html);
        Assert.Contains("<dd data-figure=\"trust.threshold\">3 trust points</dd>", html);
        Assert.Contains("<dd data-figure=\"trust.coverage\">50.0%</dd>", html);
        Assert.Contains("<td class=\"num\" data-figure=\"trust.levels.0.lower\">5.1%</td>", html);
        Assert.Contains("<td class=\"num\" data-figure=\"trust.levels.1.agreeAt\">0 of 1</td>", html);
        Assert.Contains("<td class=\"num\" data-figure=\"trust.judges.default.high\">50.0% (1 of 2)</td>", html);
        Assert.Contains("<dd data-figure=\"trust.escalation.overturned\">1</dd>", html);
        Assert.Contains("data-chart=\"trust-curve\"", html);
        Assert.Contains("data-chart=\"judge-reliability\"", html);
    }

    [Fact]
    public void The_trust_charts_name_each_level_and_each_judge_and_draw_nothing_without_data()
    {
        var trust = TrustAssessmentTests.Assess().Report;
        var curve = XElement.Parse(ReportCharts.TrustCurve(trust)!);
        var texts = curve.Descendants("text").Select(t => t.Value).ToList();
        Assert.Contains("≥3", texts);
        Assert.Contains("≥1", texts);
        Assert.Contains("target 5%", texts);
        Assert.Contains(texts, t => t.StartsWith("threshold ≥3 points", StringComparison.Ordinal));

        var reliability = XElement.Parse(ReportCharts.JudgeReliability(trust.Judges)!);
        var labels = reliability.Descendants("text").Select(t => t.Value).ToList();
        Assert.Contains("default", labels);
        Assert.Contains("stated high", labels);
        Assert.Contains("n=2", labels);

        Assert.Null(ReportCharts.TrustCurve(trust with { Levels = [] }));
        Assert.Null(ReportCharts.JudgeReliability([new JudgeReliability("default",
            [new ConfidenceReliability("high", 0, 0, null, null), new ConfidenceReliability("medium", 0, 0, null, null), new ConfidenceReliability("low", 0, 0, null, null)], 3)]));
    }
}
